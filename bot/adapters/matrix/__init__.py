"""The Matrix front end (matrix-nio): requests from mentions, DMs and `!ops`, previews edited
in place, approval by m.reaction, withdrawal by redaction. It codes against ChatService only."""
