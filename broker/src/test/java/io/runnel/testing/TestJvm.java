package io.runnel.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * A second JVM on the test classpath, for clients that must die with SIGKILL (no shutdown hook, no
 * LeaveGroup) or tools that are run as their own program, such as Kafka's command line tools.
 */
public final class TestJvm {

    /** What a finished program left behind. */
    public record Result(int exitCode, String stdout, String stderr) {}

    private TestJvm() {}

    /** A process builder running {@code mainClass} with {@code args} on the test classpath. */
    public static ProcessBuilder builder(String mainClass, List<String> jvmOptions, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.addAll(jvmOptions);
        command.add("@" + classpathArgFile());
        command.add(mainClass);
        command.addAll(args);
        return new ProcessBuilder(command);
    }

    /** Runs {@code mainClass} to its end and returns its exit code and output. */
    public static Result run(String mainClass, List<String> args, long timeoutSeconds) {
        try {
            Path dir = Files.createDirectories(Path.of("target", "test-jvm").toAbsolutePath());
            Path out = Files.createTempFile(dir, "out-", ".txt");
            Path err = Files.createTempFile(dir, "err-", ".txt");
            Process process = builder(mainClass, List.of(), args)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError(mainClass + " did not finish within " + timeoutSeconds + " s; output:\n"
                        + Files.readString(out) + "\n" + Files.readString(err));
            }
            return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path argFile;

    /** Fixes the classpath of the JVMs started later now, while the test classes are all there. */
    public static void prepare() {
        classpathArgFile();
    }

    /** The classpath in a {@code java @file} (it is longer than one command line argument may be). */
    private static synchronized Path classpathArgFile() {
        if (argFile == null) {
            try {
                Path dir = Files.createDirectories(Path.of("target", "test-jvm").toAbsolutePath());
                List<String> entries = new ArrayList<>();
                for (String entry : testClasspath().split(java.io.File.pathSeparator)) {
                    entries.add(Path.of(entry).endsWith("test-classes") ? snapshot(Path.of(entry), dir) : entry);
                }
                Path file = Files.createTempFile(dir, "classpath-", ".args");
                String classpath = String.join(java.io.File.pathSeparator, entries);
                Files.writeString(file, "-cp \"" + classpath.replace("\\", "\\\\") + "\"\n");
                argFile = file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return argFile;
    }

    /**
     * A private copy of the test classes, so that a build recompiling them meanwhile (into the same
     * target directory) cannot take a class away from a JVM started later.
     */
    private static String snapshot(Path classes, Path dir) throws IOException {
        Path copy = Files.createTempDirectory(dir, "test-classes-");
        try (java.util.stream.Stream<Path> files = Files.walk(classes)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = copy.resolve(classes.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return copy.toString();
    }

    /**
     * The test classpath. Surefire and failsafe put it in {@code java.class.path}; when only a
     * manifest-only booter jar is there, its {@code Class-Path} is read instead.
     */
    static String testClasspath() {
        String classpath = System.getProperty("java.class.path");
        String[] entries = classpath.split(java.io.File.pathSeparator);
        if (entries.length == 1 && entries[0].endsWith(".jar") && entries[0].contains("surefirebooter")) {
            try (JarFile jar = new JarFile(entries[0])) {
                Manifest manifest = jar.getManifest();
                List<String> paths = new ArrayList<>();
                for (String url :
                        manifest.getMainAttributes().getValue("Class-Path").split(" ")) {
                    if (!url.isBlank()) {
                        paths.add(Path.of(java.net.URI.create(url)).toString());
                    }
                }
                return String.join(java.io.File.pathSeparator, paths);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return classpath;
    }
}
