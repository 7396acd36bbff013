"""The initiatives stage: units submit their digital-transformation models, the organizers approve them,
the community votes in a public gallery and the judges score them; the ranking weighs both. Pure rules."""
