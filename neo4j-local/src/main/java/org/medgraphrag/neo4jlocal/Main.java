package org.medgraphrag.neo4jlocal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.server.CommunityBootstrapper;

/**
 * Starts an embedded Neo4j Community server with Bolt on 127.0.0.1 and authentication on, and
 * with {@code --http-port} its HTTP connector on 127.0.0.1, which serves Neo4j Browser at
 * {@code /browser/} (behind the same authentication).
 *
 * <p>Usage: {@code Main --home DIR [--port 7687] [--http-port 0] [--pagecache-mb 512]} (HTTP port
 * 0: no HTTP connector); the password of user {@code neo4j} comes from the environment variable
 * {@code NEO4J_PASSWORD} so it never shows in a process listing. Prints one {@code READY ...} line
 * once Bolt accepts connections and stops cleanly on SIGTERM; after a kill, the next start
 * recovers from the transaction log.
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws Exception {
        Path home = null;
        int port = 7687;
        int httpPort = 0;
        long pagecacheMb = 512;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--home" -> { home = Path.of(require(args[i], value)); i++; }
                case "--port" -> { port = Integer.parseInt(require(args[i], value)); i++; }
                case "--http-port" -> { httpPort = Integer.parseInt(require(args[i], value)); i++; }
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

        Map<String, String> config = new HashMap<>();
        config.put("server.bolt.enabled", "true");
        config.put("server.bolt.listen_address", "127.0.0.1:" + port);
        // Neo4j Browser connects to the addresses the server advertises.
        config.put("server.bolt.advertised_address", "127.0.0.1:" + port);
        config.put("server.bolt.tls_level", "DISABLED");
        config.put("dbms.security.auth_enabled", "true");
        config.put("server.memory.pagecache.size", pagecacheMb + "m");
        config.put("server.http.enabled", String.valueOf(httpPort > 0));
        config.put("server.http.listen_address", "127.0.0.1:" + Math.max(httpPort, 1));
        config.put("server.http.advertised_address", "127.0.0.1:" + Math.max(httpPort, 1));
        config.put("dbms.usage_report.enabled", "false");
        config.put("server.https.enabled", "false");
        CommunityBootstrapper server = new CommunityBootstrapper();
        int status = server.start(home.toAbsolutePath(), config);
        if (status != 0) {
            fail("Neo4j did not start (status " + status + "); see " + home.resolve("logs"));
        }
        DatabaseManagementService dbms = server.getDatabaseManagementService();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("STOPPING");
            server.stop();
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
        String http = httpPort > 0 ? " browser=http://127.0.0.1:" + httpPort + "/browser/" : "";
        System.out.println("READY bolt://127.0.0.1:" + port + " neo4j=" + version + http);
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
