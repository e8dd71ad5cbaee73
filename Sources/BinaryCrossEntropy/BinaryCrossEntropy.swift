// Placeholder: the library issue fills this in.
