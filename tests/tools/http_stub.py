#!/usr/bin/env python3
"""A loopback HTTP server for the probe tests: /ok 200, /fail 500,
/moved 302, /silent accepts and never answers, /garbage is not HTTP.
Binds 127.0.0.1 on a free port, prints it, serves until killed."""
import http.server
import socketserver
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/silent":
            time.sleep(60)
            return
        if self.path == "/garbage":
            self.wfile.write(b"SSH-2.0-OpenSSH_9.2\r\n")
            return
        code = {"/ok": 200, "/fail": 500, "/moved": 302}.get(self.path, 404)
        self.send_response(code)
        if code == 302:
            self.send_header("Location", "/ok")
        self.send_header("Content-Length", "0")
        self.end_headers()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
