"""The process: the app factory, the scheduler, the sender, the configuration and the clock."""
