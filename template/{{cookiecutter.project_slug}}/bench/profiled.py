"""The service in one uvicorn process under pyinstrument; the profile is written as HTML (and
as text beside it) when the process is asked to stop (SIGTERM or SIGINT).

    python -m bench.profiled --port 8001 --out profile.html
"""

import argparse
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from pyinstrument import Profiler


class Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Stop on SIGTERM or SIGINT like uvicorn, but without raising the signal again
        once stopped (which would end the process before the profile is written)."""
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {stop: signal.signal(stop, self.handle_exit) for stop in stops}
        try:
            yield
        finally:
            for stop, handler in previous.items():
                signal.signal(stop, handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    config = uvicorn.Config(
        "app.main:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        server_header=False,
        log_level="warning",
    )
    server = Server(config)
    # Every frame of the event loop's thread, not one task's: a request's time is spread
    # over the loop's callbacks.
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    try:
        server.run()
    finally:
        profiler.stop()
        args.out.write_text(profiler.output_html(), encoding="utf-8")
        text = profiler.output_text(unicode=True, color=False)
        args.out.with_suffix(".txt").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
