// Leaker 2, JNI C++ object graph: each native call builds a graph of C++
// objects that is never deleted.
//
// Native site, as measured: operator new in
// jleak::leakers::graph::Node::Node (payloads, 65,521 bytes each: prime, size
// class 64 KiB), called from jleak::leakers::graph::Graph::AddNode <-
// jleak::leakers::graph::BuildGraph <- Java_jleak_leakers_JniCpp_build in
// libjni_cpp.so. Node objects and edge vectors add about 0.1%.
//
//   java -cp ... jleak.leakers.JniCpp --rate BYTES_PER_S --duration S
//       [--nodes N] [--payload-bytes N] [--dump-every S]
package jleak.leakers;

public final class JniCpp {
  static final int PAYLOAD_BYTES = 65_521;
  static final int NODES = 8;

  static native int build(int nodes, int payloadBytes);

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("jni_cpp", argv, 5_000_000, 30, "nodes", "payload-bytes");
    // Passed to the native code unchecked: the native side validates.
    int nodes = (int) w.args().getLong("nodes", NODES);
    int payload = (int) w.args().getLong("payload-bytes", PAYLOAD_BYTES);
    System.loadLibrary("jni_cpp");
    long[] checksum = {0};
    long graphs;
    try {
      graphs =
          w.run(
              w.rate() / Math.max(1, (double) nodes * payload),
              i -> checksum[0] += build(nodes, payload));
    } catch (IllegalArgumentException | OutOfMemoryError e) {
      Workload.die("jni_cpp", "native code rejected the input: " + e);
      return;
    }
    w.finish(
        String.format(
            "leaked %d C++ graphs of %d nodes x %d bytes (%d payload bytes) in %.1f s,"
                + " checksum %d",
            graphs, nodes, payload, graphs * nodes * payload, w.duration(), checksum[0]));
  }
}
