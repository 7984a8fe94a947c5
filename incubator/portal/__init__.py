"""The organization's portal (组织门户): what an organization's contact sees of their own organization."""
