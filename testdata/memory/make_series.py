#!/usr/bin/env python3
"""Writes the hand-made run directories of testdata/memory/.

Each is what `jleak run` leaves for a JVM whose agent records where RSS
went (memory-SEQ.json, per /work/notes/spec20.md): timeline.jsonl naming
each snapshot's heap profile and memory file, the heap profiles (one
constant sampled site: malloc'd memory is flat) and the memory files. Every
figure is made up but shaped like the workloads of issue 20, measured on a
real JVM where the note outside-malloc.md says so: 12 snapshots 2 s apart,
with a little deterministic jitter.

  python3 testdata/memory/make_series.py    # rewrites them in place
"""

import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
HEAP = os.path.join(HERE, "..", "profiles", "edge", "minimal.heap")
MIB = 1 << 20
KIB = 1 << 10
N = 12
STEP_S = 2

JDK_PARK = [
    "jdk.internal.misc.Unsafe.park (Unsafe.java:-1)",
    "java.util.concurrent.locks.LockSupport.park (LockSupport.java:341)",
    "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionNode.block "
    "(AbstractQueuedSynchronizer.java:506)",
    "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject.await "
    "(AbstractQueuedSynchronizer.java:1623)",
    "java.util.concurrent.LinkedBlockingQueue.take (LinkedBlockingQueue.java:435)",
    "java.util.concurrent.ThreadPoolExecutor.getTask (ThreadPoolExecutor.java:1062)",
    "java.util.concurrent.ThreadPoolExecutor.runWorker (ThreadPoolExecutor.java:1122)",
    "java.util.concurrent.ThreadPoolExecutor$Worker.run (ThreadPoolExecutor.java:635)",
]
POOL_START = [
    "java.util.concurrent.ThreadPoolExecutor.addWorker (ThreadPoolExecutor.java:945)",
    "java.util.concurrent.ThreadPoolExecutor.execute (ThreadPoolExecutor.java:1353)",
    "java.util.concurrent.AbstractExecutorService.submit (AbstractExecutorService.java:140)",
    "com.example.Handler.handle (Handler.java:22)",
    "com.example.Server.serve (Server.java:57)",
]


def jitter(i, amplitude):
    """Deterministic noise in [-amplitude, amplitude]."""
    return ((i * 7919 + 13) % 17 - 8) / 8.0 * amplitude


def base_threads():
    out = [{"tid": 100, "name": "main", "java": True, "daemon": False,
            "state": "TIMED_WAITING", "stack_bytes": 96 * KIB,
            "parked_in": ["java.lang.Thread.sleep (Thread.java:-2)",
                          "com.example.Main.main (Main.java:12)"],
            "started_from": []}]
    for k in range(2):
        out.append({"tid": 110 + k, "name": "GC Thread#%d" % k, "java": False,
                    "daemon": True, "state": "RUNNABLE",
                    "stack_bytes": 20 * KIB, "parked_in": [],
                    "started_from": []})
    out.append({"tid": 120, "name": "Reference Handler", "java": True,
                "daemon": True, "state": "RUNNABLE", "stack_bytes": 16 * KIB,
                "parked_in": ["java.lang.ref.Reference.waitForReferencePendingList "
                              "(Reference.java:-2)"],
                "started_from": []})
    return out


def snapshot(i, case):
    t = i * STEP_S
    classes = {
        "java_heap": 64 * MIB + jitter(i, 512 * KIB),
        "class_metadata": 18 * MIB + jitter(i + 1, 64 * KIB),
        "code_cache": 9 * MIB + jitter(i + 2, 32 * KIB),
        "thread_stacks": 1 * MIB,
        "malloc": 30 * MIB + jitter(i + 3, 128 * KIB),
        "file_mapped": 2 * MIB,
        "anon_other": 3 * MIB + jitter(i + 4, 16 * KIB),
        "code_and_libraries": 40 * MIB,
    }
    files = [{"path": "/usr/lib/jvm/java-17-openjdk-amd64/lib/modules",
              "mappings": 1, "size_bytes": 123 * MIB, "rss_bytes": 2 * MIB,
              "deleted": False}]
    threads = base_threads()
    loaders = [
        {"type": "jdk.internal.loader.ClassLoaders$AppClassLoader",
         "loaders": 1, "classes": 600},
        {"type": "jdk.internal.loader.ClassLoaders$PlatformClassLoader",
         "loaders": 1, "classes": 120},
    ]
    allocated = 24 * MIB + jitter(i + 5, 64 * KIB)
    resident = allocated + 6 * MIB
    mmap_sites = []
    if case == "mapped_file":
        # Index.open maps a 2 MiB segment every second and keeps them all.
        count = 10 + 2 * t
        for k in range(1, count + 1):
            files.append({"path": "/var/lib/app/index/segments-%d.idx" % k,
                          "mappings": 1, "size_bytes": 2 * MIB,
                          "rss_bytes": 2 * MIB, "deleted": False})
        classes["file_mapped"] += count * 2 * MIB
        mmap_sites.append({
            "kind": "file", "path": "/var/lib/app/index/segments-1.idx",
            "mappings": count, "bytes": count * 2 * MIB,
            "java_frames": [
                "sun.nio.ch.FileChannelImpl.map (FileChannelImpl.java:1113)",
                "com.example.Index.open (Index.java:33)",
                "com.example.Index.load (Index.java:20)"],
            "native_frames": ["Java_sun_nio_ch_FileChannelImpl_map0"]})
    if case == "thread_pool":
        # A 2-thread executor per request, 3 requests a second, never shut
        # down: 6 threads a second, each ~64 KiB of touched stack and its
        # idle thread cache (~0.5 MiB: outside-malloc.md section 6).
        pools = 3 * t
        tid = 1000
        for p in range(1, pools + 1):
            for w in (1, 2):
                threads.append({"tid": tid, "name": "pool-%d-thread-%d" % (p, w),
                                "java": True, "daemon": False,
                                "state": "WAITING", "stack_bytes": 64 * KIB,
                                "parked_in": JDK_PARK, "started_from": POOL_START})
                tid += 1
        classes["thread_stacks"] += 2 * pools * 64 * KIB
        allocated += 2 * pools * 512 * KIB
        resident = allocated + 6 * MIB
        classes["malloc"] += 2 * pools * 512 * KIB
    if case == "classloader":
        # A plugin class loader per request, kept: 5 loaders of 50 classes
        # each a second, 3 KiB of metadata per class.
        plugins = 5 * t
        loaders.append({"type": "com.example.PluginLoader", "loaders": plugins,
                        "classes": plugins * 50})
        classes["class_metadata"] += plugins * 50 * 3 * KIB
    if case == "retention":
        # Allocated flat, resident grows: pages kept after free (fragmented
        # small size classes), 1 MiB a second.
        resident += t * MIB
        classes["malloc"] += t * MIB
    if case == "jni_mmap":
        count = 4 + 4 * t
        mmap_sites.append({
            "kind": "anon", "path": "", "mappings": count,
            "bytes": count * 256 * KIB,
            "java_frames": ["com.example.NativeBuffers.mapAnon (NativeBuffers.java:-2)",
                            "com.example.NativeBuffers.acquire (NativeBuffers.java:41)"],
            "native_frames": ["Java_com_example_NativeBuffers_mapAnon",
                              "mmap64"]})
        classes["anon_other"] += count * 256 * KIB
    classes = {k: int(v) for k, v in classes.items()}
    rss = sum(classes.values())
    mem = {
        "format": "jleak-memory 1", "seq": i, "pid": 4711,
        "mono_ns": (1000 + t) * 10**9, "cost_ns": 6100000 + i * 1000,
        "rss_bytes": rss, "classes": classes, "files": files,
        "threads": threads, "os_threads": len(threads) + 14,
        "class_loaders": loaders,
        "allocator": {"name": "jemalloc", "allocated": int(allocated),
                      "active": int(allocated + MIB),
                      "resident": int(resident),
                      "mapped": int(resident + 4 * MIB), "retained": 12 * MIB},
        "mmap_sites": mmap_sites,
        "nmt": {"Thread": 2 * MIB + sum(1 for th in threads if th["java"]) * 1 * MIB},
    }
    line = {"seq": i, "kind": "baseline" if i == 0 else "interval",
            "file": "snapshot-%d.heap" % i, "memory_file": "memory-%d.json" % i,
            "dumped": True, "mono_ns": (1000 + t) * 10**9,
            "wall_time_ns": 1765000000 * 10**9 + t * 10**9, "elapsed_s": t + 3,
            "rss_bytes": rss, "os_threads": len(threads) + 14,
            "jemalloc": {"allocated": int(allocated), "active": int(allocated + MIB),
                         "resident": int(resident), "mapped": int(resident + 4 * MIB),
                         "retained": 12 * MIB}}
    return line, mem


def main():
    for case in ("mapped_file", "thread_pool", "classloader", "retention",
                 "jni_mmap", "clean"):
        d = os.path.join(HERE, case)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        with open(os.path.join(d, "timeline.jsonl"), "w") as tl:
            for i in range(N):
                line, mem = snapshot(i, case)
                tl.write(json.dumps(line, separators=(",", ":")) + "\n")
                with open(os.path.join(d, "memory-%d.json" % i), "w") as f:
                    json.dump(mem, f, separators=(",", ":"))
                shutil.copyfile(HEAP, os.path.join(d, "snapshot-%d.heap" % i))


if __name__ == "__main__":
    main()
