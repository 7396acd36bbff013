"""The online quiz stage: entrants answer a paper drawn for each of them, on their own time, scored by
accuracy and speed, their essay marked by the judges. Pure rules: no clock, no I/O, no randomness
that the caller does not seed."""
