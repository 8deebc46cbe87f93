#!/usr/bin/env python3
"""A test fixture: ClickHouse's HTTP interface in front of the ClickHouse engine that PyPI's
chdb-core carries in-process (see docs/adr/005-clickhouse-backend.md for why).

It serves the part of the interface rootspan's ClickHouse backend uses, with the same rules a
ClickHouse server applies: the query in the `query` URL parameter and/or the body; for an
INSERT whose query is in the URL, the body is the rows (any input format chdb reads); `database`;
query parameters `param_NAME` (typed `{NAME:Type}` in the SQL, parsed by the engine, never
spliced into SQL here); user and password from the X-ClickHouse-User/X-ClickHouse-Key headers,
basic auth or the user/password parameters; errors as ClickHouse words them ("Code: N.
DB::Exception: ...") with its HTTP status and X-ClickHouse-Exception-Code; GET /ping.

It is NOT a server to run in production: queries run one at a time on one chdb session, there is
no native-protocol port, no compression framing and no settings beyond a few no-ops. Its speed
says nothing about ClickHouse's.

Usage: clickhouse_http_shim.py --data DIR --port-file FILE --password-file FILE [--owner-pid PID [--remove-on-exit DIR]]
"""

import argparse
import base64
import http.server
import os
import re
import shutil
import socketserver
import sys
import tempfile
import threading
import time
import urllib.parse

# URL parameters a client may send that change nothing here.
NO_OP_SETTINGS = {
    "default_format", "session_id", "session_timeout", "query_id", "wait_end_of_query", "compress",
    "decompress", "enable_http_compression", "send_progress_in_http_headers", "buffer_size",
}
INSERT_WITH_FORMAT = re.compile(r"^\s*INSERT\s+INTO\s+.*?\s(FORMAT\s+\w+)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
ERROR_CODE = re.compile(r"Code: (\d+)\.")
# ClickHouse's HTTP status for some error codes (others are 500).
STATUS_OF_CODE = {"516": 403, "497": 403, "60": 404, "81": 404, "62": 400, "47": 400, "36": 400, "6": 400, "27": 400}


class Engine:
    """One chdb session, used by one request at a time."""

    def __init__(self, data_dir):
        from chdb import session  # imported here: the import takes seconds

        os.makedirs(data_dir, exist_ok=True)
        self.session = session.Session(data_dir)
        self.tmp = tempfile.mkdtemp(prefix="rows-", dir=data_dir)
        self.lock = threading.Lock()

    def run(self, sql, database, params, rows):
        with self.lock:
            if database:
                if not IDENTIFIER.match(database):
                    raise QueryError("Code: 81. DB::Exception: Database name is not valid. (UNKNOWN_DATABASE)")
                self.session.query("USE `%s`" % database, "TabSeparated")
            else:
                self.session.query("USE default", "TabSeparated")
            if rows is not None:
                match = INSERT_WITH_FORMAT.match(sql)
                if not match:
                    raise QueryError("Code: 62. DB::Exception: rows in the body need INSERT INTO ... FORMAT name in the URL (SYNTAX_ERROR)")
                path = os.path.join(self.tmp, "rows-%d-%d" % (os.getpid(), threading.get_ident()))
                with open(path, "wb") as f:
                    f.write(rows)
                try:
                    start = match.start(1)
                    sql = "%s FROM INFILE '%s' %s" % (sql[:start], path, sql[start:])
                    result = self.session.query(sql, "TabSeparated", params=params or None)
                finally:
                    os.unlink(path)
            else:
                result = self.session.query(sql, "TabSeparated", params=params or None)
            return result.bytes() if result is not None else b""


class QueryError(Exception):
    pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, Nagle's algorithm holds the body
    # until the client's delayed ACK (40 ms per request on Linux) on a kept-alive connection.
    disable_nagle_algorithm = True
    server_version = "rootspan-chdb-shim"

    def log_message(self, fmt, *args):  # quiet: one line per error only
        pass

    def reply(self, status, body, code=None):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8" if status != 200 else "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if code:
            self.send_header("X-ClickHouse-Exception-Code", code)
        self.end_headers()
        self.wfile.write(body)

    def credentials(self, query):
        user = self.headers.get("X-ClickHouse-User")
        password = self.headers.get("X-ClickHouse-Key")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                pass
        user = user if user is not None else query.get("user", "default")
        password = password if password is not None else query.get("password", "")
        return user, password

    def handle_query(self, body):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/ping":
            return self.reply(200, b"Ok.\n")
        if url.path not in ("/", ""):
            return self.reply(404, b"There is no handle %s\n" % url.path.encode())
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        user, password = self.credentials(query)
        if user != "default" or password != self.server.password:
            message = "Code: 516. DB::Exception: %s: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)\n" % user
            return self.reply(403, message.encode(), "516")
        params, database = {}, query.get("database")
        for key, value in query.items():
            if key.startswith("param_"):
                params[key[6:]] = value
            elif key not in ("query", "database", "user", "password") and key not in NO_OP_SETTINGS:
                message = "Code: 115. DB::Exception: Setting %s is not supported by the test shim. (UNKNOWN_SETTING)\n" % key
                return self.reply(400, message.encode(), "115")
        sql, rows = query.get("query"), None
        if sql is not None and body and INSERT_WITH_FORMAT.match(sql):
            rows = body
        elif sql is None:
            sql = body.decode("utf-8", "replace")
        elif body:
            sql = sql + "\n" + body.decode("utf-8", "replace")
        if not sql.strip():
            return self.reply(400, b"Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)\n", "62")
        try:
            answer = self.server.engine.run(sql, database, params, rows)
        except Exception as error:  # chdb raises its own error type, worded as ClickHouse words it
            text = str(error).strip()
            match = ERROR_CODE.search(text)
            code = match.group(1) if match else "1001"
            if not match:
                text = "Code: 1001. DB::Exception: %s. (STD_EXCEPTION)" % text
            return self.reply(STATUS_OF_CODE.get(code, 500), (text + "\n").encode(), code)
        return self.reply(200, answer)

    def do_GET(self):
        self.handle_query(b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self.read_chunked()
        else:
            body = self.rfile.read(length) if length else b""
        self.handle_query(body)

    def read_chunked(self):
        parts = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def watch_owner(pid, remove):
    """Ends this process when the process that owns it (a test run) has gone, removing the
    directory `remove` (its data) when one is named."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(pid, 0)
        except OSError:
            if remove:
                shutil.rmtree(remove, ignore_errors=True)
            os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--owner-pid", type=int)
    parser.add_argument("--remove-on-exit", help="with --owner-pid: a directory to remove when the owner ends")
    args = parser.parse_args()
    with open(args.password_file) as f:
        password = f.read().strip()
    server = Server(("127.0.0.1", 0), Handler)
    server.password = password
    server.engine = Engine(args.data)
    server.engine.run("SELECT 1", None, {}, None)
    if args.owner_pid:
        threading.Thread(target=watch_owner, args=(args.owner_pid, args.remove_on_exit), daemon=True).start()
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    print("serving ClickHouse HTTP (chdb) on 127.0.0.1:%d" % server.server_address[1], file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
