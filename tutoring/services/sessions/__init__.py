"""The session room (SPEC §7 Messages): who may read and write, masking before storing, retention; live notices
between processes; who is here now (presence)."""
