"""Root conftest: the core's fixtures serve tests/ and every plugin's tests/."""
pytest_plugins = ["incubator.testing", "incubator.testing_peers", "incubator.notifications.testing"]
