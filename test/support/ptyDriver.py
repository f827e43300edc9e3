"""Runs a command on a pseudo-terminal of its own, as a person at a terminal would.

Usage: ptyDriver.py ROWS COLS -- COMMAND [ARG...]

Each line on stdin is one JSON action: {"keys": "text"} types text (with \\r for Enter and
\\u001d for Ctrl-]), {"resize": [rows, cols]} changes the window size (the command gets
SIGWINCH). Everything the command writes to its terminal is copied to stdout as it comes.
Exits with the command's status once it has exited and its output is drained.
"""
import fcntl
import json
import os
import pty
import select
import struct
import sys
import termios


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    rows, cols = int(sys.argv[1]), int(sys.argv[2])
    command = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    set_size(fd, rows, cols)
    stdin = sys.stdin.fileno()
    pending = b""
    stdin_open = True
    while True:
        watched = [fd] + ([stdin] if stdin_open else [])
        ready, _, _ = select.select(watched, [], [], 0.1)
        if fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        if stdin_open and stdin in ready:
            chunk = os.read(stdin, 65536)
            if not chunk:
                stdin_open = False
                continue
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if not line.strip():
                    continue
                action = json.loads(line)
                if "keys" in action:
                    os.write(fd, action["keys"].encode("utf-8"))
                if "resize" in action:
                    set_size(fd, action["resize"][0], action["resize"][1])
                    os.kill(pid, 28)  # SIGWINCH, as a terminal emulator sends it
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))


main()
