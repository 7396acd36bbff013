"""The live show: its single owner (the service), the engine, views, patches, votes, simulation."""
