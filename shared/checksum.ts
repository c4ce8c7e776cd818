/** Lower-case hex SHA-256 of bytes, through Web Crypto (present in workerd and Node 20). */
export async function sha256Hex(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  // Typed as BufferSource: our callers never pass SharedArrayBuffer views.
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return toHex(new Uint8Array(digest));
}

function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
