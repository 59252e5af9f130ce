#!/usr/bin/env python3
# executeJob over one keep-alive connection, N times; prints p50/p90 of the answer time (ms).
#   execute_calls.py PORT AUTHORIZATION COMPANY N   (AUTHORIZATION: the header's value)
import http.client, json, sys, time, statistics
port, authorization, company, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
conn = http.client.HTTPConnection("127.0.0.1", port)
body = json.dumps({"companyHandle": company, "jobHandle": f"{company}|noop|"})
times = []
for i in range(n):
    t = time.perf_counter()
    conn.request("POST", "/api/v1/executeJob", body, {"Authorization": authorization, "Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    times.append((time.perf_counter() - t) * 1000)
    assert r.status == 200, r.status
    time.sleep(0.02)
times.sort()
print(f"p50 {statistics.median(times):.2f} ms  p90 {times[int(n*0.9)]:.2f} ms")
