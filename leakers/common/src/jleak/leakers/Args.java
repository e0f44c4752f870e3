// Command-line options shared by every leaker and control: each takes
// --rate and --duration (and a few take more), and prints what it did.
package jleak.leakers;

import java.util.HashMap;
import java.util.Map;

public final class Args {
  private final Map<String, String> values = new HashMap<>();

  private Args() {}

  /** Parses "--name value" and "--name=value" pairs; exits 2 on anything else. */
  public static Args parse(String program, String[] argv, String... known) {
    Args args = new Args();
    for (int i = 0; i < argv.length; i++) {
      String arg = argv[i];
      if (!arg.startsWith("--")) {
        usage(program, known, "unexpected argument '" + arg + "'");
      }
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < argv.length) {
        value = argv[++i];
      } else {
        usage(program, known, "option --" + name + " needs a value");
        return args;
      }
      if (!java.util.Arrays.asList(known).contains(name)) {
        usage(program, known, "unknown option --" + name);
      }
      args.values.put(name, value);
    }
    return args;
  }

  public String getString(String name, String defaultValue) {
    return values.getOrDefault(name, defaultValue);
  }

  public long getLong(String name, long defaultValue) {
    String v = values.get(name);
    if (v == null) {
      return defaultValue;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      System.err.println("--" + name + ": not a whole number: '" + v + "'");
      System.exit(2);
      return defaultValue;
    }
  }

  public double getDouble(String name, double defaultValue) {
    String v = values.get(name);
    if (v == null) {
      return defaultValue;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      System.err.println("--" + name + ": not a number: '" + v + "'");
      System.exit(2);
      return defaultValue;
    }
  }

  private static void usage(String program, String[] known, String problem) {
    StringBuilder sb = new StringBuilder();
    for (String k : known) {
      sb.append(" [--").append(k).append(" N]");
    }
    System.err.println(program + ": " + problem);
    System.err.println("usage: " + program + sb);
    System.exit(2);
  }
}
