// Leaker 8, C++ standard containers: a Java loop calls three native methods,
// each allocating along its own C++ path through the standard library; one
// path leaks, two are healthy. The analysis must name the leaking user
// function (not the std:: frames, not the healthy paths) and the Java method
// that called it.
//
// Per unit of work, one call of each (libstd_containers.so):
//   insert   -> jleak::leakers::stdc::LeakyCache::Insert: a std::vector<char>
//               record of --record-bytes (65,521, prime; 64 KiB size class),
//               built by growing an empty vector, kept forever: the leak.
//   append   -> jleak::leakers::stdc::Journal::Append: a std::string of
//               57,331 characters (56 KiB class); the last --keep kept.
//   register -> jleak::leakers::stdc::Registry::Register: std::make_shared<Blob>,
//               one block of 16 + 49,136 bytes (48 KiB class); the last
//               --keep kept.
// --rate is the bytes per second of the record path (units/s = rate /
// record bytes); the healthy paths churn 87% and 75% of it.
//
// With --leak false (the control) insert goes to BoundedCache::Insert,
// which keeps the last --keep records like the others: all three paths are
// flat after --keep units.
//
//   java -cp ... jleak.leakers.StdContainers --rate BYTES_PER_S --duration S
//       [--leak true|false] [--record-bytes N] [--keep N] [--dump-every S]
package jleak.leakers;

public final class StdContainers {
  static final int RECORD_BYTES = 65_521;
  static final int ENTRY_BYTES = 57_331;
  static final int BLOB_BYTES = 49_136;
  static final int KEEP = 32;

  static native void init(boolean leak, int keep);

  static native int insert(int bytes);

  static native int append(long seq);

  static native int register(long id);

  /** Objects held: 0 records, 1 journal entries, 2 blobs. */
  static native long held(int container);

  public static void main(String[] argv) throws Exception {
    Workload w =
        Workload.parse(
            "std_containers", argv, 5_000_000, 30, "leak", "record-bytes", "keep");
    String leakArg = w.args().getString("leak", "true");
    if (!leakArg.equals("true") && !leakArg.equals("false")) {
      Workload.die("std_containers", "--leak must be true or false, not '" + leakArg + "'");
    }
    boolean leak = leakArg.equals("true");
    // Passed to the native code unchecked: the native side validates.
    int recordBytes = (int) w.args().getLong("record-bytes", RECORD_BYTES);
    int keep = (int) w.args().getLong("keep", KEEP);
    System.loadLibrary("std_containers");
    long[] checksum = {0};
    long units;
    try {
      init(leak, keep);
      units =
          w.run(
              w.rate() / Math.max(1, recordBytes),
              i -> {
                checksum[0] += insert(recordBytes);
                checksum[0] += append(i);
                checksum[0] += register(i);
              });
    } catch (IllegalArgumentException | IllegalStateException | OutOfMemoryError e) {
      Workload.die("std_containers", "native code rejected the input: " + e);
      return;
    }
    w.finish(
        String.format(
            "inserted %d records of %d bytes into %s (holds %d), appended %d journal"
                + " entries of %d bytes (holds %d), registered %d blobs of %d bytes"
                + " (holds %d) in %.1f s, checksum %d",
            units,
            recordBytes,
            leak ? "LeakyCache" : "BoundedCache",
            held(0),
            units,
            ENTRY_BYTES,
            held(1),
            units,
            BLOB_BYTES,
            held(2),
            w.duration(),
            checksum[0]));
  }
}
