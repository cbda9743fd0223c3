package dev.mlsc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.graphdb.config.Setting;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * Starts a real, embedded Neo4j 5 community engine for mlsc's development and tests.
 *
 * <pre>
 * NEO4J_DEV_PASSWORD=... java -Xmx2g -jar target/neo4j-dev.jar [--port N] [--pagecache SIZE] [HOME_DIR]
 * </pre>
 *
 * <ul>
 *   <li>HOME_DIR: the engine's home; stores go to HOME_DIR/data, its logs to HOME_DIR/logs.
 *       Default: a fresh temporary directory that is deleted again on shutdown.</li>
 *   <li>--port N: Bolt port on 127.0.0.1 (default 7687; 0 = any free port, reported on the READY line).</li>
 *   <li>--pagecache SIZE: page cache, e.g. 512m (default), 1g.</li>
 *   <li>NEO4J_DEV_PASSWORD (required, at least 8 characters): becomes the password of user
 *       {@code neo4j}; auth is enabled. Never printed.</li>
 * </ul>
 *
 * HTTP and HTTPS are off; Bolt is plain text, bound to loopback only. Prints exactly one line
 * {@code READY bolt://127.0.0.1:PORT} on stdout once a Bolt handshake succeeds; everything else
 * goes to stderr. SIGTERM/SIGINT shut the engine down cleanly.
 *
 * Exit codes: 0 clean shutdown, 1 start-up failure, 2 bad usage.
 */
public final class Neo4jDev {
    private static final String HOST = "127.0.0.1";
    private static final String PASSWORD_ENV = "NEO4J_DEV_PASSWORD";
    private static final long READY_TIMEOUT_MS = 120_000;

    private Neo4jDev() {}

    public static void main(String[] args) {
        int port = BoltConnector.DEFAULT_PORT;
        long pageCache = ByteUnit.mebiBytes(512);
        Path home = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            try {
                switch (a) {
                    case "--port" -> port = Integer.parseInt(args[++i]);
                    case "--pagecache" -> pageCache = ByteUnit.parse(args[++i]);
                    case "-h", "--help" -> {
                        System.err.println(
                                "usage: NEO4J_DEV_PASSWORD=... java -jar neo4j-dev.jar [--port N] [--pagecache SIZE] [HOME_DIR]");
                        System.exit(0);
                    }
                    default -> {
                        if (a.startsWith("-") || home != null) {
                            usage("unexpected argument: " + a);
                        }
                        home = Paths.get(a);
                    }
                }
            } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
                usage("bad value for " + a);
            }
        }
        if (port < 0 || port > 65535) {
            usage("--port must be 0..65535");
        }
        String password = System.getenv(PASSWORD_ENV);
        if (password == null || password.length() < 8) {
            usage(PASSWORD_ENV + " must be set to a password of at least 8 characters");
        }

        // Only the READY line goes to stdout; keep everything else (Neo4j's own output too) on stderr.
        PrintStream stdout = System.out;
        System.setOut(System.err);

        boolean temporary = home == null;
        try {
            home = temporary ? Files.createTempDirectory("neo4j-dev-") : home.toAbsolutePath();
            Files.createDirectories(home);
        } catch (IOException e) {
            fail("cannot create home directory " + home + ": " + e, null);
        }
        final Path homeDir = home;

        Map<Setting<?>, Object> config = new HashMap<>();
        config.put(BoltConnector.enabled, true);
        config.put(BoltConnector.listen_address, new SocketAddress(HOST, port));
        config.put(BoltConnector.advertised_address, new SocketAddress(HOST, port));
        config.put(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED);
        config.put(HttpConnector.enabled, false);
        config.put(HttpsConnector.enabled, false);
        config.put(GraphDatabaseSettings.auth_enabled, true);
        config.put(GraphDatabaseSettings.pagecache_memory, pageCache);
        config.put(GraphDatabaseSettings.udc_enabled, false);
        config.put(GraphDatabaseSettings.preallocate_logical_logs, false);
        // A dev engine: don't wait 2 x 5 s for Bolt connections to drain on shutdown.
        config.put(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1));
        config.put(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1));

        long t0 = System.nanoTime();
        DatabaseManagementService dbms = null;
        try {
            dbms = new DatabaseManagementServiceBuilder(homeDir)
                    .setUserLogProvider(new Log4jLogProvider(System.err, Level.INFO))
                    .setConfig(config)
                    .build();
        } catch (RuntimeException e) {
            if (temporary) {
                deleteTree(homeDir);
            }
            fail("Neo4j failed to start: " + e, e);
        }
        final DatabaseManagementService service = dbms;
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("neo4j-dev: shutting down");
            try {
                service.shutdown();
            } catch (RuntimeException e) {
                System.err.println("neo4j-dev: error during shutdown: " + e);
            }
            if (temporary) {
                deleteTree(homeDir);
            }
            System.err.println("neo4j-dev: stopped");
            stopped.countDown();
        }, "neo4j-dev-shutdown"));

        try {
            long t1 = System.nanoTime();
            GraphDatabaseService system = service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
            setPassword(system, password);
            long t2 = System.nanoTime();

            HostnamePort bound = ((GraphDatabaseAPI) system)
                    .getDependencyResolver()
                    .resolveDependency(ConnectorPortRegister.class)
                    .getLocalAddress(ConnectorType.BOLT);
            if (bound == null) {
                throw new IllegalStateException("the Bolt connector did not start");
            }
            int boltPort = bound.getPort();
            waitForBolt(boltPort);
            System.err.printf(
                    "neo4j-dev: timings: JVM start %.1fs, engine start %.1fs, password set %.1fs, Bolt check %.1fs%n",
                    ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0 - (System.nanoTime() - t0) / 1e9,
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9, (System.nanoTime() - t2) / 1e9);
            stdout.println("READY bolt://" + HOST + ":" + boltPort);
            stdout.flush();
            System.err.println("neo4j-dev: home " + homeDir + (temporary ? " (temporary)" : ""));
        } catch (Exception e) {
            fail("Neo4j started but is not usable: " + e, e);
        }

        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Makes {@code password} the password of user neo4j, without "change required". Embedded
     * transactions run with full privileges, so this works whatever the stored password was (a
     * fresh store's default, or the one from an earlier run on the same home directory).
     */
    private static void setPassword(GraphDatabaseService system, String password) {
        Map<String, Object> params = Map.of("pw", password);
        try {
            system.executeTransactionally("ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", params);
        } catch (QueryExecutionException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("cannot be the same")) {
                // Reused home directory and the same password as last time: only lift the flag.
                system.executeTransactionally("ALTER USER neo4j SET PASSWORD CHANGE NOT REQUIRED");
            } else if (message.contains("does not exist")) {
                system.executeTransactionally("CREATE USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", params);
            } else {
                throw e;
            }
        }
    }

    /** Waits until a Bolt 5.x version handshake on 127.0.0.1:port is answered with a version. */
    private static void waitForBolt(int port) throws InterruptedException {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        Exception last = null;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(HOST, port), 2000);
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                out.write(new byte[] {
                    (byte) 0x60, (byte) 0x60, (byte) 0xB0, (byte) 0x17, // magic preamble
                    0, 8, 8, 5, // 5.8 down to 5.0
                    0, 0, 4, 4, // 4.4
                    0, 0, 0, 0,
                    0, 0, 0, 0});
                out.flush();
                InputStream in = s.getInputStream();
                byte[] agreed = in.readNBytes(4);
                if (agreed.length == 4 && (agreed[2] != 0 || agreed[3] != 0)) {
                    System.err.printf("neo4j-dev: Bolt handshake ok (protocol %d.%d)%n", agreed[3], agreed[2]);
                    return;
                }
                last = new IOException("no Bolt version agreed");
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("Bolt on port " + port + " did not answer a handshake: " + last);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("neo4j-dev: could not delete " + dir + ": " + e);
        }
    }

    private static void usage(String message) {
        System.err.println("neo4j-dev: " + message);
        System.err.println(
                "usage: NEO4J_DEV_PASSWORD=... java -jar neo4j-dev.jar [--port N] [--pagecache SIZE] [HOME_DIR]");
        System.exit(2);
    }

    private static void fail(String message, Throwable cause) {
        System.err.println("neo4j-dev: " + message);
        if (cause != null) {
            cause.printStackTrace(System.err);
        }
        // Runtime.exit runs the shutdown hook (if registered), which stops the engine.
        System.exit(1);
    }
}
