"""Files (证据材料): uploads kept once per SHA-256 under `FILES_DIR`, each belonging to a record.

For plugins: `store(upload, owner_type=..., owner_id=..., park_id=..., user=...)` inside the write that
records the owner (services.store: size and type limits, a clear `ValidationError` otherwise);
`files_of(owner_type, owner_ids)` lists them; `url_for("files.download", file_id=...)` links to one.
Who may read a file is the owner's plugin's answer to `incubator_file_access(user, stored_file)`:
without a `True` the file is a 404, whoever asks.
"""
