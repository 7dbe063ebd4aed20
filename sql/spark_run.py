#!/usr/bin/env python3
"""Run faultlens' aggregation SQL on Apache Spark.

    python3 sql/spark_run.py TABLES OUT [--sql FILE] [--master URL | --standalone]

TABLES is a directory written by `faultlens export --parquet`; OUT receives
one Parquet table per statement, ready for `faultlens analyze --aggregates
OUT`. The SQL comes from --sql FILE (default: `faultlens sql` output saved
beside, or sql/aggregates.sql with the sample threshold filled in).

--standalone starts a real Spark standalone master and one worker on
127.0.0.1 (from the pyspark installation), runs the statements on that
cluster, and stops both: the shape of a real deployment, on one machine.
Without it, --master defaults to local[*].

Prints one line per statement (rows, seconds) and a final JSON line with the
wall times, for benches and the parity test.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TABLES = ["inputs", "first_party", "requests", "pages", "probes", "server", "changes"]
KEY_SPACE = 1 << 32


def statements(text):
    """(name, sql) pairs, split on `-- name:` lines, comments dropped."""
    out = []
    for line in text.splitlines():
        if line.startswith("-- name:"):
            out.append([line[len("-- name:"):].strip(), []])
        elif out and not line.lstrip().startswith("--"):
            out[-1][1].append(line)
    return [(n, "\n".join(s).strip().rstrip(";").strip()) for n, s in out]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout_s=90):
    end = time.time() + timeout_s
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.5)
    return False


def start_standalone(log_dir):
    import pyspark

    home = os.path.dirname(pyspark.__file__)
    spark_class = os.path.join(home, "bin", "spark-class")
    env = dict(os.environ, SPARK_HOME=home, SPARK_LOCAL_IP="127.0.0.1",
               SPARK_WORKER_DIR=os.path.join(log_dir, "work"))
    port = free_port()
    master_url = "spark://127.0.0.1:%d" % port
    procs = []
    mlog = open(os.path.join(log_dir, "master.log"), "w")
    procs.append(subprocess.Popen(
        [spark_class, "org.apache.spark.deploy.master.Master",
         "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(free_port())],
        env=env, stdout=mlog, stderr=subprocess.STDOUT))
    if not wait_port(port):
        stop(procs)
        raise SystemExit("spark master did not start; see %s/master.log" % log_dir)
    wlog = open(os.path.join(log_dir, "worker.log"), "w")
    procs.append(subprocess.Popen(
        [spark_class, "org.apache.spark.deploy.worker.Worker",
         "--host", "127.0.0.1", "--cores", str(os.cpu_count() or 2),
         "--memory", os.environ.get("FAULTLENS_SPARK_WORKER_MEMORY", "4g"),
         "--webui-port", str(free_port()), master_url],
        env=env, stdout=wlog, stderr=subprocess.STDOUT))
    return master_url, procs


def stop(procs):
    for p in reversed(procs):
        p.terminate()
    for p in reversed(procs):
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def sql_text(args):
    if args.sql:
        with open(args.sql) as f:
            return f.read()
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "aggregates.sql")) as f:
        text = f.read()
    below = int(round(max(0.0, min(1.0, args.sample_rate)) * KEY_SPACE))
    return (text.replace("{sample_below}", str(below))
            .replace("{bin_ms}", str(int(args.bin_seconds) * 1000)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tables")
    ap.add_argument("out")
    ap.add_argument("--sql", help="SQL file (as `faultlens sql` prints it)")
    ap.add_argument("--sample-rate", type=float, default=1.0,
                    help="without --sql: share of rows the row tables keep")
    ap.add_argument("--bin-seconds", type=int, default=60,
                    help="without --sql: width of the count bins")
    ap.add_argument("--master", default=None)
    ap.add_argument("--standalone", action="store_true")
    args = ap.parse_args()
    if not 0 < args.sample_rate <= 1 or args.bin_seconds < 1:
        ap.error("--sample-rate must be in (0, 1] and --bin-seconds at least 1")

    t0 = time.time()
    procs = []
    log_dir = tempfile.mkdtemp(prefix="faultlens-spark-")
    try:
        master = args.master or "local[*]"
        if args.standalone:
            master, procs = start_standalone(log_dir)
        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master(master)
                 .appName("faultlens-aggregates")
                 .config("spark.driver.host", "127.0.0.1")
                 .config("spark.driver.bindAddress", "127.0.0.1")
                 .config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false")
                 .config("spark.executor.memory",
                         os.environ.get("FAULTLENS_SPARK_EXECUTOR_MEMORY", "3g"))
                 .config("spark.sql.shuffle.partitions", "8")
                 .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                 .getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        t_up = time.time()
        for t in TABLES:
            d = os.path.join(args.tables, t)
            spark.read.option("basePath", d).parquet(d).createOrReplaceTempView(t)
        timings = {}
        for name, sql in statements(sql_text(args)):
            ts = time.time()
            df = spark.sql(sql)
            dest = os.path.join(args.out, name)
            shutil.rmtree(dest, ignore_errors=True)
            df.write.mode("overwrite").parquet(dest)
            rows = spark.read.parquet(dest).count()
            timings[name] = round(time.time() - ts, 3)
            print("%s\t%d rows\t%.2f s" % (name, rows, timings[name]), flush=True)
        spark.stop()
        t_end = time.time()
        print(json.dumps({"master": re.sub(r":\d+$", "", master),
                          "startup_s": round(t_up - t0, 2),
                          "queries_s": round(t_end - t_up, 2),
                          "total_s": round(t_end - t0, 2),
                          "statements": timings}), flush=True)
    finally:
        stop(procs)
        shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
