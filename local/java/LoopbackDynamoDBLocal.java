// Starts Amazon DynamoDB Local exactly as its own main class (ServerRunner) does, except that its HTTP listener is
// bound to one address (127.0.0.1 by default) instead of every interface. DynamoDB Local has no option for this:
// DynamoDBProxyServer builds `new org.eclipse.jetty.server.Server(port)`, whose ServerConnector has no host. The
// connector is configured before the server starts, so nothing ever listens elsewhere, not even briefly.
// Compiled once into <install dir>/loopback-launcher-<hash>/ by local/dynamodb_local.py (needs a JDK's compiler).

import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDBLocal {
    private LoopbackDynamoDBLocal() {}

    public static void main(String[] args) throws Exception {
        String host = System.getProperty("dynamodb.local.host", "127.0.0.1");
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        int bound = 0;
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector) {
                ((ServerConnector) connector).setHost(host);
                bound++;
            }
        }
        if (bound == 0) {
            System.err.println("LoopbackDynamoDBLocal: DynamoDB Local has no Jetty ServerConnector to bind to " + host);
            System.exit(3);
        }
        proxy.start();
        System.out.println("LoopbackDynamoDBLocal: listening on " + host + " only");
    }
}
