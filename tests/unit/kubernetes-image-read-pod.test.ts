/**
 * The pod that prints a file of the sandbox image on Kubernetes (the library census): what it may
 * do is less than a sandbox may, and it stays out of every sandbox listing.
 */
import { describe, expect, it } from "vitest";
import { LABEL_APP, LABEL_IMAGE_READ, LABEL_SCOPE } from "../../src/sandbox/container-spec.ts";
import { imageReadPod } from "../../src/sandbox/kubernetes/image-read-pod.ts";

const pod = imageReadPod({
  name: "cib-bot-read-0a1b2c3d4e",
  image: "registry.example/sandbox@sha256:abc",
  scope: "bot",
  filePath: "/opt/sandbox/libraries.json",
  maxBytes: 1000,
  runtimeClassName: "gvisor",
});
const container = pod.spec?.containers[0];

describe("the image-reading pod", () => {
  it("carries the label the NetworkPolicy selects, and not the scope's", () => {
    expect(pod.metadata?.labels).toEqual({ [LABEL_APP]: "1", [LABEL_IMAGE_READ]: "bot" });
    expect(pod.metadata?.labels).not.toHaveProperty(LABEL_SCOPE);
  });

  it("runs as nobody with no capabilities, no token, no writable root and little memory", () => {
    expect(container?.securityContext).toEqual({
      runAsUser: 65_534,
      runAsGroup: 65_534,
      runAsNonRoot: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.spec).toMatchObject({
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      runtimeClassName: "gvisor",
    });
    expect(pod.spec?.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(container?.resources?.limits).toEqual({ cpu: "100m", memory: "32Mi" });
  });

  it("passes the path and the cap as arguments, never inside the shell's text, and waits to be asked", () => {
    expect(container?.command).toEqual([
      "/bin/sh",
      "-c",
      'read -r _ && exec head -c "$1" -- "$2"',
      "image-read",
      "1001",
      "/opt/sandbox/libraries.json",
    ]);
    expect(container).toMatchObject({ stdin: true, stdinOnce: true, tty: false });
  });
});
