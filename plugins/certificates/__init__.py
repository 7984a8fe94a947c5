"""证书 · Certificates: Chinese PDF certificates with public verification."""
