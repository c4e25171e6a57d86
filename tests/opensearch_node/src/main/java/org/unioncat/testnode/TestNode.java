package org.unioncat.testnode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;
import org.opensearch.transport.TransportService;

/**
 * A real OpenSearch node, started in-process from the server and module jars on Maven Central.
 *
 * <p>Why: unioncat's OpenSearch backend must be tested against the engine itself, and neither a
 * Docker image nor the distribution tarball can be downloaded where unioncat is built and tested.
 * The distribution is this same {@link Node} plus modules loaded from {@code modules/}; here the
 * modules the backend needs (HTTP over Netty, the {@code pattern} tokenizer and the
 * {@code stemmer}/{@code asciifolding} filters of analysis-common, Painless) are handed to the node
 * as classpath plugins instead. Security is off: there is no security plugin at all.
 *
 * <p>Usage: {@code java -cp ... org.unioncat.testnode.TestNode key=value ...}; every argument is
 * an OpenSearch setting ({@code path.home} is required). Once the node has started, the bound HTTP
 * and transport addresses are written to {@code <path.home>/http.address} and
 * {@code <path.home>/transport.address} (atomically, so a reader never sees half a line), which is
 * how the caller learns the free port the node picked. The node stops on SIGTERM.
 */
public final class TestNode extends Node {

    /** The modules a stock distribution would load from its {@code modules/} folder, as far as unioncat needs them. */
    static final List<Class<? extends Plugin>> MODULES =
            List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, PainlessPlugin.class);

    private TestNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
        super(environment, plugins, true);
    }

    public static void main(String[] args) throws Exception {
        Settings settings = parse(args);
        Path home = Path.of(settings.get("path.home"));
        Environment environment =
                InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), home.resolve("config"), () -> settings.get("node.name"));
        TestNode node = new TestNode(environment, MODULES);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                System.err.println("unioncat test node: error while stopping: " + e);
            } finally {
                stopped.countDown();
            }
        }, "unioncat-test-node-stop"));
        node.start();
        publish(home, "http.address", node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress());
        publish(home, "transport.address", node.injector().getInstance(TransportService.class).boundAddress().publishAddress());
        stopped.await();
    }

    /** Arguments {@code key=value} as node settings, with the defaults a loopback test node needs. */
    static Settings parse(String[] args) {
        Settings.Builder builder = Settings.builder()
                .put("network.host", "127.0.0.1")
                .put("http.port", "0")
                .put("transport.port", "0")
                // A shared, nearly full disk must not make the test cluster refuse shards.
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("action.auto_create_index", false);
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got: " + arg);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();
        if (settings.get("path.home") == null) {
            throw new IllegalArgumentException("path.home=DIR is required");
        }
        return settings;
    }

    private static void publish(Path home, String name, TransportAddress address) throws IOException {
        Path tmp = home.resolve(name + ".tmp");
        Files.writeString(tmp, address.getAddress() + ":" + address.getPort() + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, home.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
