"""The supervisor's channel to the bot: the container's stdin and stdout, one JSON object a line.

Only the supervisor (root) holds these descriptors; user code runs under another uid and cannot
reach them. The bot is trusted, but its lines are still bounded.
"""

import json
import os
import sys
import time

MAX_BOT_LINE = 64 * 1024 * 1024


class BotChannel:
    """stdin/stdout of the container. The bot is trusted, but its lines are still bounded."""

    def __init__(self):
        self.fd_in = sys.stdin.fileno()
        os.set_blocking(self.fd_in, False)
        self._buffer = bytearray()
        self.closed = False

    def send(self, message):
        data = (json.dumps(message, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:
            try:
                written = os.write(1, view)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            view = view[written:]

    def read_messages(self):
        try:
            chunk = os.read(self.fd_in, 1 << 20)
        except BlockingIOError:
            return []
        if not chunk:
            self.closed = True
            return []
        self._buffer += chunk
        messages = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > MAX_BOT_LINE:
                    self._buffer.clear()
                    self.send({"type": "failure", "id": None, "message": "request line too long"})
                return messages
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            try:
                message = json.loads(line)
            except ValueError:
                self.send({"type": "failure", "id": None, "message": "request is not JSON"})
                continue
            if isinstance(message, dict):
                messages.append(message)
