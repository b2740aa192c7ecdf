package org.medgraphrag.neo4jlocal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * Starts an embedded Neo4j Community DBMS with Bolt on 127.0.0.1 and authentication on.
 *
 * <p>Usage: {@code Main --home DIR [--port 7687] [--pagecache-mb 512]}; the password of user
 * {@code neo4j} comes from the environment variable {@code NEO4J_PASSWORD} so it never shows in a
 * process listing. Prints one {@code READY ...} line once Bolt accepts connections and stops
 * cleanly on SIGTERM; after a kill, the next start recovers from the transaction log.
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws Exception {
        Path home = null;
        int port = 7687;
        long pagecacheMb = 512;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--home" -> { home = Path.of(require(args[i], value)); i++; }
                case "--port" -> { port = Integer.parseInt(require(args[i], value)); i++; }
                case "--pagecache-mb" -> { pagecacheMb = Long.parseLong(require(args[i], value)); i++; }
                default -> fail("unknown argument " + args[i]);
            }
        }
        if (home == null) {
            fail("--home DIR is required");
        }
        String password = System.getenv("NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            fail("NEO4J_PASSWORD must be set to at least 8 characters");
        }
        Files.createDirectories(home);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home.toAbsolutePath())
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pagecacheMb))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("STOPPING");
            dbms.shutdown();
            System.out.println("STOPPED");
            stopped.countDown();
        }, "neo4j-local-shutdown"));

        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        setPassword(system, password);
        String version = system.executeTransactionally(
                "CALL dbms.components() YIELD versions RETURN versions[0] AS v",
                Map.of(),
                result -> result.hasNext() ? String.valueOf(result.next().get("v")) : "unknown");
        // The Python side waits for this exact line before it connects.
        System.out.println("READY bolt://127.0.0.1:" + port + " neo4j=" + version);
        System.out.flush();
        stopped.await();
    }

    private static void setPassword(GraphDatabaseService system, String password) {
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        } catch (RuntimeException e) {
            // Neo4j refuses to "change" a password to the one already set; that is the wanted state.
            if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                throw e;
            }
        }
    }

    private static String require(String flag, String value) {
        if (value == null) {
            fail(flag + " needs a value");
        }
        return value;
    }

    private static void fail(String message) {
        System.err.println("neo4j-local: " + message);
        System.exit(2);
    }
}
