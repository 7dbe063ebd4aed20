#!/usr/bin/env python3
"""Generate a Chrome-style HAR with base64 response bodies for benchmarks.

usage: gen_har.py OUT.har [TARGET_MB] [SEED]

Deterministic for a given seed. Entry mix mimics a DevTools export of a
busy single-page app: documents, scripts, images, API calls, a few errors.
"""
import base64, json, random, sys

out = sys.argv[1]
target = int(float(sys.argv[2]) * 1e6) if len(sys.argv) > 2 else 200_000_000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
hosts = ["www.example.com", "static.examplecdn.net", "api.example.com", "fonts.gstatic.com", "www.google-analytics.com"]
kinds = [("document", "text/html"), ("script", "application/javascript"), ("image", "image/png"),
         ("fetch", "application/json"), ("stylesheet", "text/css"), ("font", "font/woff2")]
pages = [{"startedDateTime": f"2024-05-01T10:{p:02d}:00.000Z", "id": f"page_{p}", "title": f"Page {p}",
          "pageTimings": {"onContentLoad": 800 + p, "onLoad": 1500 + p}} for p in range(1, 41)]
with open(out, "w") as f:
    f.write('{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":')
    f.write(json.dumps(pages))
    f.write(',"entries":[')
    written, i = 0, 0
    while written < target:
        kind, mime = kinds[i % len(kinds)]
        host = hosts[i % len(hosts)]
        body = base64.b64encode(rng.randbytes(rng.randint(1100, 2450))).decode()
        status = 200 if i % 97 else (0 if i % 2 else 503)
        ssl = round(rng.uniform(5, 40), 3) if i % 7 == 0 else -1
        connect = round(ssl + rng.uniform(5, 30), 3) if ssl > 0 else -1
        wait = round(rng.uniform(5, 400), 3)
        e = {
            "_initiator": {"type": "script", "url": f"https://{hosts[0]}/app.js"},
            "_priority": "High", "_resourceType": kind, "cache": {}, "connection": str(1000 + i % 50),
            "pageref": f"page_{1 + i % 40}",
            "request": {"method": "GET" if i % 5 else "POST",
                        "url": f"https://{host}/api/v1/projects/{i}/tasks?token=abc{i}",
                        "httpVersion": "http/2.0",
                        "headers": [{"name": ":authority", "value": host}, {"name": "accept", "value": "*/*"},
                                    {"name": "cookie", "value": f"session={i:08x}"},
                                    {"name": "user-agent", "value": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"}],
                        "queryString": [{"name": "token", "value": f"abc{i}"}], "cookies": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": status, "statusText": "", "httpVersion": "http/2.0",
                         "headers": [{"name": "content-type", "value": mime}, {"name": "server", "value": "cloudflare"},
                                     {"name": "cf-cache-status", "value": "HIT"}, {"name": "cf-ray", "value": f"{i:x}-SJC"}],
                         "cookies": [], "content": {"size": len(body) * 3 // 4, "mimeType": mime, "text": body, "encoding": "base64"},
                         "redirectURL": "", "headersSize": -1, "bodySize": len(body) * 3 // 4, "_transferSize": len(body) * 3 // 4 + 200,
                         "_error": None if status else "net::ERR_CONNECTION_RESET"},
            "serverIPAddress": f"104.16.{i % 256}.{(i // 256) % 256}",
            "startedDateTime": f"2024-05-01T10:{(i // 1000) % 60:02d}:{(i // 17) % 60:02d}.{i % 1000:03d}Z",
            "time": round(1 + (connect if connect > 0 else 0) + wait + 3, 3),
            "timings": {"blocked": 1, "dns": -1 if i % 7 else 2, "ssl": ssl, "connect": connect, "send": 0.1, "wait": wait, "receive": 2.9,
                        "_blocked_queueing": 0.5},
        }
        s = json.dumps(e)
        if i:
            f.write(",")
        f.write(s)
        written += len(s) + 1
        i += 1
    f.write("]}}\n")
print(f"{out}: {i} entries", file=sys.stderr)
