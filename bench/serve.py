"""Run the app for a benchmark on the given port (settings from the environment)."""

import sys

import uvicorn

from app.main import create_app

if __name__ == "__main__":
    uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
