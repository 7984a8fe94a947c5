"""First-party plugins, each registered through the `incubator.plugins` entry point group."""
