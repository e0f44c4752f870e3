// Real library 2, Xerial's SQLite JDBC driver (Debian:
// libxerial-sqlite-jdbc-java, libxerial-sqlite-jdbc-jni, libsqlite3-0): a
// connection per request to an in-memory database, a table filled and
// queried, and the connection never closed. SQLiteConnection has no
// finalizer: dropped unclosed, its sqlite3 handle (page cache, schema,
// lookaside buffers, prepared statements) stays in native memory forever
// while the Java heap stays flat. The classic report: "memory leak when
// connections are not closed".
//
// --leak=false closes each statement and connection (try-with-resources):
// the same driver, used correctly, must be judged clean.
//
// Native site, as measured: malloc in libsqlite3.so.0 (sqlite3_open_v2,
// the page cache of the inserts) under Java_org_sqlite_core_NativeDB_*;
// the first Java frames are the driver's own (org.sqlite.core.NativeDB).
// --rate counts connections per second.
//
//   java -cp sqlite_jdbc.jar:workload.jar:args.jar:/usr/share/java/sqlite-jdbc.jar
//       jleak.leakers.SqliteJdbc --rate CONNECTIONS_PER_S --duration S
//       [--leak=false] [--rows N] [--dump-every S]
package jleak.leakers;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

public final class SqliteJdbc {
  static long rowsRead;

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("sqlite_jdbc", argv, 20, 30, "leak", "rows");
    boolean leak = !"false".equals(w.args().getString("leak", "true"));
    int rows = (int) w.args().getLong("rows", 100);
    if (rows < 1 || rows > 100_000) {
      Workload.die("sqlite_jdbc", "--rows must be 1..100000");
    }
    long connections =
        w.run(
            w.rate(),
            i -> {
              if (leak) {
                useAndForget(rows);
              } else {
                useAndClose(rows);
              }
            });
    w.finish(
        String.format(
            "%s %d connections in %.1f s (%d rows read)",
            leak ? "left open" : "closed", connections, w.duration(), rowsRead));
  }

  /** One request's work on a fresh connection. */
  static void work(Connection c, int rows) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("create table events (id integer primary key, body text)");
    }
    try (PreparedStatement insert = c.prepareStatement("insert into events values (?, ?)")) {
      for (int r = 0; r < rows; r++) {
        insert.setInt(1, r);
        insert.setString(2, "event " + r + ": user=42 action=view " + "x".repeat(200));
        insert.executeUpdate();
      }
    }
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*), max(length(body)) from events")) {
      rs.next();
      rowsRead += rs.getInt(1);
    }
  }

  /** The misuse: the connection is dropped, never closed. */
  static void useAndForget(int rows) throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:sqlite::memory:");
    work(c, rows);
  }

  static void useAndClose(int rows) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:")) {
      work(c, rows);
    }
  }
}
