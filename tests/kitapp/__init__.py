"""A minimal case kind that gets the whole case kit by registering itself."""
