package io.runnel.protocol;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.runnel.api.ApiVersionsHandler;
import io.runnel.config.Endpoint;
import io.runnel.config.RunnelConfig;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Serves the Kafka protocol on every configured listener. One verticle instance per core, each with
 * its own {@link NetServer} on the same port, so connections spread over the event loops and each
 * connection stays on one.
 */
@ApplicationScoped
public class KafkaServer {

    private static final Logger LOG = Logger.getLogger(KafkaServer.class);

    @Inject
    Vertx vertx;

    @Inject
    RunnelConfig config;

    @Inject
    RequestDispatcher dispatcher;

    @Inject
    ApiVersionsHandler apiVersions;

    private String deploymentId;

    void onStart(@Observes @Priority(20) StartupEvent event) throws Exception {
        List<Endpoint> listeners = Endpoint.parseAll(config.listeners());
        int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
        deploymentId = vertx.deployVerticle(
                        () -> new ListenerVerticle(listeners), new DeploymentOptions().setInstances(instances))
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        LOG.infof("Kafka protocol listening on %s (%d event loops)", listeners, instances);
    }

    void onStop(@Observes @Priority(2) ShutdownEvent event) {
        if (deploymentId != null) {
            try {
                vertx.undeploy(deploymentId)
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debugf("Listeners did not stop cleanly: %s", e);
            }
            LOG.info("Kafka protocol listeners closed");
        }
    }

    private final class ListenerVerticle extends AbstractVerticle {

        private final List<Endpoint> listeners;

        ListenerVerticle(List<Endpoint> listeners) {
            this.listeners = listeners;
        }

        @Override
        public void start(Promise<Void> started) {
            List<Future<NetServer>> servers = new ArrayList<>();
            for (Endpoint listener : listeners) {
                NetServerOptions options = new NetServerOptions()
                        .setHost(listener.host().isEmpty() ? "0.0.0.0" : listener.host())
                        .setPort(listener.port())
                        .setTcpNoDelay(true)
                        .setReuseAddress(true);
                NetServer server = vertx.createNetServer(options)
                        .connectHandler(socket -> new KafkaConnection(
                                        socket,
                                        context,
                                        dispatcher,
                                        apiVersions,
                                        listener.listenerName(),
                                        config.socketRequestMaxBytes(),
                                        config.maxInflightRequestsPerConnection())
                                .start());
                servers.add(server.listen());
            }
            Future.all(servers).<Void>mapEmpty().onComplete(started);
        }
    }
}
