import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../../shared/checksum";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { exportMlpToOnnx } from "../../../shared/ranking/onnx-export";
import { encodeRankerSpec, RANKER_BLOBS, rankerSpecOf } from "../../../shared/ranking/onnx-ranker";
import { randomMlp } from "../../../test/fixtures/funnel-index";
import { rankerOfVersion, type VersionBlobs } from "./load-version";

async function versionWithRanker(specSha?: string): Promise<VersionBlobs> {
  const model = randomMlp(4);
  const onnx = exportMlpToOnnx(model);
  const sha256 = await sha256Hex(onnx);
  const spec = encodeRankerSpec(rankerSpecOf(specSha ?? sha256, [32, 16], {}));
  const ref = async (bytes: Uint8Array) => ({ bytes: bytes.byteLength, sha256: await sha256Hex(bytes), contentType: "application/octet-stream" });
  const manifest = { version: "v", blobs: { [RANKER_BLOBS.model]: await ref(onnx), [RANKER_BLOBS.spec]: await ref(spec) } } as unknown as IndexManifest;
  return {
    manifest,
    blobs: new Map([
      [RANKER_BLOBS.model, onnx],
      [RANKER_BLOBS.spec, spec],
    ]),
  };
}

describe("a version's heavy ranker for the gate", () => {
  it("is the model the version ships, read back from its ONNX bytes", async () => {
    expect(rankerOfVersion(await versionWithRanker())).toEqual(randomMlp(4));
  });

  it("names why the Worker could not use it, as its degraded code, and is null when none ships", async () => {
    expect(rankerOfVersion(await versionWithRanker("0".repeat(64)))).toEqual({ degraded: "ranker_spec_mismatch" });
    const version = await versionWithRanker();
    version.blobs.delete(RANKER_BLOBS.model);
    expect(rankerOfVersion(version)).toEqual({ degraded: `${RANKER_BLOBS.model}_missing` });
    version.blobs.set(RANKER_BLOBS.model, Uint8Array.of(1, 2, 3));
    expect(rankerOfVersion(version)).toEqual({ degraded: "ranker_model_invalid" });
    expect(rankerOfVersion({ manifest: { ...version.manifest, blobs: {} }, blobs: new Map() })).toBeNull();
  });
});
