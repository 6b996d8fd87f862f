"""Progress of a grading run: a bar on a terminal, plain lines in logs."""

import sys
import time


def _clock(seconds):
    """``m:ss`` (or ``h:mm:ss``) of a number of seconds."""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


class Progress:
    """Counts, rate and ETA of ``total`` tasks.

    On a terminal one line is redrawn (a bar); elsewhere (CI logs) each
    finished task prints a line. A failure is always named on a line of
    its own, as it happens.

    Parameters
    ----------
    total : int
    stream : file, optional
        Default ``sys.stdout``.
    bar : bool, optional
        Redraw a bar; default: whether ``stream`` is a terminal.
    """

    def __init__(self, total, stream=None, bar=None):
        self.total = total
        self.stream = stream or sys.stdout
        self.bar = self.stream.isatty() if bar is None else bar
        self.done = self.failed = 0
        self.started = time.monotonic()

    def status(self):
        """``done/total, failed, rate, ETA`` as text."""
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else None
        text = (f"{self.done}/{self.total} graded or failed, "
                f"{self.failed} failed, {rate * 3600:.0f}/h, "
                f"elapsed {_clock(elapsed)}")
        if eta is not None and self.done < self.total:
            text += f", ETA {_clock(eta)}"
        return text

    def finished(self, name, seconds, reason=None):
        """One task has ended: graded, or failed with ``reason``."""
        self.done += 1
        if reason is not None:
            self.failed += 1
            self._line(f"NOT GRADED: {name}: {reason}")
        elif not self.bar:
            self._line(f"[{self.done}/{self.total}] {name} graded "
                       f"({seconds:.1f} s)")
        if self.bar:
            width = 30
            filled = width * self.done // max(self.total, 1)
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}]"
                              f" {self.status()}\033[K")
        elif self.done % 10 == 0 or self.done == self.total:
            self._line(self.status())
        self.stream.flush()

    def note(self, text):
        """A line of its own (the bar is redrawn by the next update)."""
        self._line(text)

    def _line(self, text):
        if self.bar:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self):
        if self.bar:
            self.stream.write("\n")
            self.stream.flush()
