package io.runnel.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on a local port in front of a broker, that can cut every live connection at once (with
 * a reset, mid-frame if need be), as a flaky network or a restarting load balancer would. Point the
 * broker's advertised listener at {@link #port()} so clients come back through it after a cut.
 */
public final class ChaosProxy implements AutoCloseable {

    private record Connection(Socket client, Socket upstream) {}

    private final int targetPort;
    private final ServerSocket server;
    private final Set<Connection> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger cut = new AtomicInteger();
    private volatile boolean closed;

    public ChaosProxy(int targetPort) {
        this.targetPort = targetPort;
        try {
            server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofPlatform().daemon().name("chaos-proxy-" + port()).start(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Connections cut by {@link #cutAll()} so far. */
    public int cut() {
        return cut.get();
    }

    /** Resets every live connection, both sides; returns how many were cut. */
    public int cutAll() {
        int n = 0;
        for (Connection connection : live) {
            if (live.remove(connection)) {
                reset(connection.client());
                reset(connection.upstream());
                n++;
            }
        }
        cut.addAndGet(n);
        return n;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            Socket upstream = new Socket();
            try {
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                upstream.connect(new InetSocketAddress("127.0.0.1", targetPort), 5_000);
            } catch (IOException e) {
                reset(client);
                close(upstream);
                continue;
            }
            accepted.incrementAndGet();
            Connection connection = new Connection(client, upstream);
            live.add(connection);
            Thread.ofVirtual().start(() -> pump(connection, client, upstream));
            Thread.ofVirtual().start(() -> pump(connection, upstream, client));
        }
    }

    private void pump(Connection connection, Socket from, Socket to) {
        byte[] buffer = new byte[64 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // cut, or closed by an end
        } finally {
            live.remove(connection);
            close(from);
            close(to);
        }
    }

    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0); // RST, not FIN
        } catch (IOException e) {
            // closed already
        }
        close(socket);
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closed already
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closed already
        }
        for (Connection connection : live) {
            close(connection.client());
            close(connection.upstream());
        }
        live.clear();
    }
}
