"""The contest's stages that happen online, before the televised final: the quiz every entrant takes on
their own phone (``quiz_service``)."""
