package trustgraph;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Transaction;
import org.neo4j.io.ByteUnit;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;
import org.neo4j.server.security.SecureHasher;
import org.neo4j.server.security.SystemGraphCredential;

import sun.misc.Signal;

/**
 * A local Neo4j Community DBMS (embedded, with a Bolt connector) for trustgraph
 * development, tests and CI.
 *
 * <pre>
 * java -cp 'neo4j-local/target/classes:neo4j-local/target/lib/*' trustgraph.Neo4jLocal \
 *      [--home DIR] [--port N] [--host ADDR] [--pid-file FILE] [--daemon]
 * </pre>
 *
 * Environment: NEO4J_USERNAME (default neo4j), NEO4J_PASSWORD (default trustgraph-dev),
 * NEO4J_LOCAL_PORT (default 7687), NEO4J_LOCAL_HOST (default 127.0.0.1),
 * NEO4J_LOCAL_PAGECACHE (default 256m). Command-line flags win over the environment.
 *
 * Prints exactly one line to stdout once the DBMS and Bolt are up:
 * {@code NEO4J-LOCAL READY bolt://HOST:PORT}. Neo4j's own log goes to stderr.
 * Shuts down cleanly on SIGTERM/SIGINT (shutdown hook) and, unless --daemon is
 * given, when standard input reaches end of file (so a parent process that dies
 * takes the server with it). SIGHUP shuts the DBMS down and keeps the JVM: stderr
 * says {@code NEO4J-LOCAL PAUSED}; the next SIGHUP starts it again (a new READY
 * line). The offline import swaps the database in between (scripts/neo4j-local).
 */
public final class Neo4jLocal {

    static final String READY = "NEO4J-LOCAL READY";
    static final String DEFAULT_PASSWORD = "trustgraph-dev";
    static final String PAUSED = "NEO4J-LOCAL PAUSED";

    private Neo4jLocal() {}

    public static void main(String[] args) throws Exception {
        Path home = Path.of(".neo4j-local");
        int port = intEnv("NEO4J_LOCAL_PORT", BoltConnector.DEFAULT_PORT);
        String host = env("NEO4J_LOCAL_HOST", "127.0.0.1");
        boolean daemon = false;
        Path pidFile = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--home" -> home = Path.of(need(args, ++i, "--home"));
                case "--port" -> port = Integer.parseInt(need(args, ++i, "--port"));
                case "--host" -> host = need(args, ++i, "--host");
                case "--pid-file" -> pidFile = Path.of(need(args, ++i, "--pid-file")).toAbsolutePath();
                case "--daemon", "--no-stdin-watch" -> daemon = true;
                case "-h", "--help" -> {
                    System.out.println("usage: Neo4jLocal [--home DIR] [--port N] [--host ADDR] [--pid-file FILE] [--daemon]");
                    return;
                }
                default -> die("unknown argument: " + args[i]);
            }
        }
        String user = env("NEO4J_USERNAME", "neo4j");
        String password = env("NEO4J_PASSWORD", DEFAULT_PASSWORD);
        long pagecache = ByteUnit.parse(env("NEO4J_LOCAL_PAGECACHE", "256m"));

        home = home.toAbsolutePath().normalize();
        Files.createDirectories(home);
        if (pidFile != null) {
            Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
        }
        final Path pidFileFinal = pidFile;

        PrintStream out = System.out;
        Log4jLogProvider userLog = new Log4jLogProvider(System.err, Level.INFO);

        AtomicBoolean stopped = new AtomicBoolean(false);
        AtomicReference<DatabaseManagementService> running = new AtomicReference<>();
        BlockingQueue<String> signals = new LinkedBlockingQueue<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (running) {
                stopped.set(true);
                System.err.println("NEO4J-LOCAL shutting down");
                DatabaseManagementService dbms = running.getAndSet(null);
                try {
                    if (dbms != null) {
                        dbms.shutdown();
                    }
                } catch (Throwable t) {
                    t.printStackTrace();
                }
                userLog.close();
                if (pidFileFinal != null) {
                    try {
                        Files.deleteIfExists(pidFileFinal);
                    } catch (IOException ignored) {
                        // the launcher script copes with a stale pid file
                    }
                }
                System.err.println("NEO4J-LOCAL STOPPED");
            }
        }, "neo4j-local-shutdown"));
        // SIGHUP pauses the DBMS (shut down, JVM kept) and the next one starts it again: the offline
        // importer replaces the database in between (scripts/neo4j-local import) without a new JVM.
        Signal.handle(new Signal("HUP"), signal -> signals.offer("HUP"));

        boolean watching = false;
        while (true) {
            DatabaseManagementService started = build(home, userLog, host, port, pagecache);
            synchronized (running) {
                if (stopped.get()) {
                    started.shutdown();
                    break;
                }
                running.set(started);
            }
            awaitReady(started, user, password);  // exits on failure (the shutdown hook stops the DBMS)
            note("ready");
            out.println(READY + " bolt://" + host + ":" + port);
            out.flush();
            if (!daemon && !watching) {
                watchStdin();
                watching = true;
            }
            signals.take();
            synchronized (running) {
                DatabaseManagementService dbms = running.getAndSet(null);
                if (stopped.get() || dbms == null) {
                    break;
                }
                dbms.shutdown();
            }
            System.err.println(PAUSED);
            signals.take();
            note("resuming");
        }
        new CountDownLatch(1).await();  // the shutdown hook runs; the JVM exits around this thread
    }

    /** Builds and starts the DBMS. */
    static DatabaseManagementService build(Path home, Log4jLogProvider userLog, String host, int port,
                                           long pagecache) {
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setUserLogProvider(userLog)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Small, non-preallocated transaction logs: this is a dev/test server.
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(64))
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "2 files")
                .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(5))
                // Netty's graceful-shutdown quiet period (default 5 s per event loop group)
                // made every stop take ~10 s; a dev server does not need it.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(5))
                .build();

        note("DBMS started");
        return dbms;
    }

    /** Waits until both databases are available and sets the user up; exits the JVM when that fails. */
    static void awaitReady(DatabaseManagementService dbms, String user, String password) {
        try {
            GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
            GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
            if (!system.isAvailable(Duration.ofMinutes(2).toMillis())
                    || !db.isAvailable(Duration.ofMinutes(2).toMillis())) {
                throw new IllegalStateException("database did not become available");
            }
            note("databases available");
            setUpUser(system, user, password);
            note("user '" + user + "' set up");
            // Touch the default database once so the first client query is not the one that pays.
            db.executeTransactionally("RETURN 1");
        } catch (Throwable t) {
            System.err.println("NEO4J-LOCAL FAILED: " + t);
            t.printStackTrace();
            System.exit(1);
        }
    }

    /** Exits when standard input reaches end of file (a parent process that dies takes the server along). */
    static void watchStdin() {
        Thread watcher = new Thread(() -> {
            try {
                InputStream in = System.in;
                byte[] buf = new byte[256];
                while (in.read(buf) >= 0) {
                    // discard; we only care about end of file
                }
            } catch (IOException ignored) {
                // treat a broken stdin like end of file
            }
            System.err.println("NEO4J-LOCAL stdin closed");
            System.exit(0);
        }, "neo4j-local-stdin-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /**
     * Makes USER log in with PASSWORD and no forced password change. Runs on every
     * start, so the environment is the source of truth for the credentials.
     * Embedded transactions run with full rights, so no login is needed here.
     */
    static void setUpUser(GraphDatabaseService system, String user, String password) {
        if (alreadySetUp(system, user, password)) {
            return;  // the first administration command costs seconds on a cold JVM (every restart)
        }
        if (!"neo4j".equals(user)) {
            system.executeTransactionally(
                    "CREATE USER $user IF NOT EXISTS SET PASSWORD $pw CHANGE NOT REQUIRED",
                    Map.of("user", user, "pw", password));
        }
        try {
            system.executeTransactionally(
                    "ALTER USER $user SET PASSWORD $pw CHANGE NOT REQUIRED",
                    Map.of("user", user, "pw", password));
        } catch (RuntimeException e) {
            // Neo4j refuses to "change" a password to the one already set; then only
            // make sure no change is required.
            if (!String.valueOf(messages(e)).toLowerCase().contains("cannot be the same")) {
                throw e;
            }
            system.executeTransactionally(
                    "ALTER USER $user SET PASSWORD CHANGE NOT REQUIRED", Map.of("user", user));
        }
    }

    /**
     * Whether USER exists, logs in with PASSWORD, needs no password change and is not suspended,
     * read from the system graph's user node (no Cypher). False when anything differs or cannot be
     * read, so that {@link #setUpUser} then sets it up as on a first start.
     */
    static boolean alreadySetUp(GraphDatabaseService system, String user, String password) {
        try (Transaction tx = system.beginTx()) {
            Node node = tx.findNode(Label.label("User"), "name", user);
            if (node == null
                    || !Boolean.FALSE.equals(node.getProperty("passwordChangeRequired", null))
                    || Boolean.TRUE.equals(node.getProperty("suspended", null))
                    || !(node.getProperty("credentials", null) instanceof String stored)) {
                return false;
            }
            return SystemGraphCredential.deserialize(stored, new SecureHasher())
                    .matchesPassword(password.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException | org.neo4j.server.security.FormatException e) {
            return false;
        }
    }

    /** A progress line on stderr with the JVM's uptime, for start-up diagnostics. */
    private static void note(String what) {
        System.err.printf("NEO4J-LOCAL %s (%.1f s after JVM start)%n",
                what, ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
    }

    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append('\n');
        }
        return sb.toString();
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    private static int intEnv(String name, int dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : Integer.parseInt(v.trim());
    }

    private static String need(String[] args, int i, String flag) {
        if (i >= args.length) {
            die(flag + " needs a value");
        }
        return args[i];
    }

    private static void die(String msg) {
        System.err.println("neo4j-local: " + msg);
        System.exit(2);
    }
}
