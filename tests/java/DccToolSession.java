// Many runs of DCC's DUIS tool (npm @smartdcc/duis-sign-wrap, dist/tool.jar, GPL-3.0) in one JVM, for the tests.
//
// The tool is used as it ships, never copied: this class is compiled at test time beside it and, for each request,
// calls the `main` of the class the command line names (uk.co.smartdcc.boxed.xmldsig.Sign or .Validate) with the
// same arguments, giving it that run's standard input and catching its standard output, standard error and the
// status it passes to System.exit, as a JVM of its own would: what each run reports is its own. Only the JVM's
// start-up (1.5-4 s on a busy machine) is shared. System.exit is trapped with a SecurityManager, so the JVM needs
// -Djava.security.manager=allow (Java 17+); the trap is an Error, which the tool's `catch (Exception e)` blocks
// let through as they let a real exit through.
//
// Protocol on this process's own stdin/stdout, integers big-endian (java.io.DataInput):
//   request:  argc, then argc times (length, UTF-8 bytes), the first argument the class's simple name;
//             then the standard input's length (-1: none) and bytes
//   response: exit status, stdout length and bytes, stderr length and bytes
// Once the trap is in place the session writes READY (an int) before reading any request, so the caller knows it
// started; end of input ends the session.

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.security.Permission;

public final class DccToolSession {
    private static final String TOOL_PACKAGE = "uk.co.smartdcc.boxed.xmldsig.";
    private static final int READY = 0x44434354; // "DCCT"

    /** What System.exit(status) becomes while a run is in progress. */
    static final class Exit extends Error {
        final int status;

        Exit(int status) {
            super("System.exit(" + status + ")", null, false, false);
            this.status = status;
        }
    }

    /** Allows everything, as a JVM without a SecurityManager does, except leaving: an exit becomes an Exit. */
    static final class ExitTrap extends SecurityManager {
        @Override
        public void checkPermission(Permission permission) {}

        @Override
        public void checkPermission(Permission permission, Object context) {}

        @Override
        public void checkExit(int status) {
            throw new Exit(status);
        }
    }

    public static void main(String[] ignored) throws Exception {
        DataInputStream requests = new DataInputStream(new BufferedInputStream(new FileInputStream(FileDescriptor.in)));
        DataOutputStream responses = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)));
        System.setSecurityManager(new ExitTrap());
        responses.writeInt(READY);
        responses.flush();
        while (true) {
            int argc;
            try {
                argc = requests.readInt();
            } catch (EOFException end) {
                break;
            }
            String[] args = new String[argc];
            for (int i = 0; i < argc; i++) {
                args[i] = new String(read(requests), StandardCharsets.UTF_8);
            }
            int inputLength = requests.readInt();
            byte[] input = inputLength < 0 ? new byte[0] : requests.readNBytes(inputLength);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = run(args, new ByteArrayInputStream(input), out, err);
            responses.writeInt(status);
            write(responses, out.toByteArray());
            write(responses, err.toByteArray());
            responses.flush();
        }
        System.setSecurityManager(null);
    }

    /** One run of the tool as `java -cp tool.jar uk.co.smartdcc.boxed.xmldsig.<args[0]> args[1:]` would make it. */
    static int run(String[] args, InputStream input, ByteArrayOutputStream out, ByteArrayOutputStream err) {
        InputStream stdin = System.in;
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        PrintStream runOut = new PrintStream(out, true);
        PrintStream runErr = new PrintStream(err, true);
        System.setIn(input);
        System.setOut(runOut);
        System.setErr(runErr);
        try {
            if (args.length == 0) {
                runErr.println("Error: no main class given");
                return 1;
            }
            Class<?> tool;
            try {
                tool = Class.forName(TOOL_PACKAGE + args[0]);
            } catch (ClassNotFoundException missing) {
                runErr.println("Error: Could not find or load main class " + TOOL_PACKAGE + args[0]);
                runErr.println("Caused by: " + missing);
                return 1;
            }
            String[] toolArgs = new String[args.length - 1];
            System.arraycopy(args, 1, toolArgs, 0, toolArgs.length);
            Method main = tool.getMethod("main", String[].class);
            main.invoke(null, (Object) toolArgs);
            return 0; // returned without System.exit: a JVM with nothing else running ends with 0
        } catch (InvocationTargetException thrown) {
            Throwable cause = thrown.getCause();
            if (cause instanceof Exit) {
                return ((Exit) cause).status;
            }
            runErr.print("Exception in thread \"main\" "); // what the JVM prints for an uncaught exception
            cause.printStackTrace(runErr);
            return 1;
        } catch (Exit exit) {
            return exit.status;
        } catch (ReflectiveOperationException problem) {
            runErr.println("Error: " + problem);
            return 1;
        } finally {
            runOut.flush();
            runErr.flush();
            System.setIn(stdin);
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    private static byte[] read(DataInputStream in) throws Exception {
        return in.readNBytes(in.readInt());
    }

    private static void write(DataOutputStream out, byte[] bytes) throws Exception {
        out.writeInt(bytes.length);
        out.write(bytes);
    }
}
