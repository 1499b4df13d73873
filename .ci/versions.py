"""Print the runtime dependencies' versions that the running venv resolved (for CI's log)."""

from importlib.metadata import version

names = ["kubernetes", "openstacksdk", "pyarrow", "pandas", "shapely", "pydantic", "typer"]
print("resolved: " + ", ".join(f"{n} {version(n)}" for n in names))
