# Independent reference of the WireGuard handshake (whitepaper 5.4) using Python's
# cryptography + hashlib, to produce fixed vectors for gquic's unit tests.
import hashlib, hmac, struct
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization as ser

def H(*parts): return hashlib.blake2s(b''.join(parts)).digest()
def HMAC(k, x): return hmac.new(k, x, hashlib.blake2s).digest()
def MAC(k, x): return hashlib.blake2s(x, key=k, digest_size=16).digest()
def KDF(n, ck, x):
    t0 = HMAC(ck, x); out=[]; prev=b''
    for i in range(1, n+1):
        prev = HMAC(t0, prev + bytes([i])); out.append(prev)
    return out
def pub(priv): return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
def DH(priv, pubk): return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pubk))
def AEAD(k, ctr, pt, ad): return ChaCha20Poly1305(k).encrypt(b'\0'*4 + struct.pack('<Q', ctr), pt, ad)
def clamp(k): k=bytearray(k); k[0]&=248; k[31]&=127; k[31]|=64; return bytes(k)

s_i = clamp(bytes(range(1, 33)))
s_r = clamp(bytes(range(101, 133)))
e_i = clamp(bytes(range(201, 233)))
e_r = clamp(bytes((i * 7) % 256 for i in range(32)))
psk = bytes([0x42]*32)
S_i, S_r, E_i, E_r = pub(s_i), pub(s_r), pub(e_i), pub(e_r)
idx_i, idx_r = 0x01020304, 0xa0b0c0d0
ts = struct.pack('>QI', 0x400000000000000a + 1700000000, 0)

C = H(b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")
Hh = H(C, b"WireGuard v1 zx2c4 Jason@zx2c4.com")
Hh = H(Hh, S_r)
C = KDF(1, C, E_i)[0]; Hh = H(Hh, E_i)
C, k = KDF(2, C, DH(e_i, S_r))
enc_static = AEAD(k, 0, S_i, Hh); Hh = H(Hh, enc_static)
C, k = KDF(2, C, DH(s_i, S_r))
enc_ts = AEAD(k, 0, ts, Hh); Hh = H(Hh, enc_ts)
init = struct.pack('<BxxxI', 1, idx_i) + E_i + enc_static + enc_ts
init += MAC(H(b"mac1----", S_r), init) + b'\0'*16

C = KDF(1, C, E_r)[0]; Hh = H(Hh, E_r)
C = KDF(1, C, DH(e_r, E_i))[0]
C = KDF(1, C, DH(e_r, S_i))[0]
C, tau, k = KDF(3, C, psk)
Hh = H(Hh, tau)
enc_nothing = AEAD(k, 0, b'', Hh); Hh = H(Hh, enc_nothing)
resp = struct.pack('<BxxxII', 2, idx_r, idx_i) + E_r + enc_nothing
resp += MAC(H(b"mac1----", S_i), resp) + b'\0'*16
T_send_i, T_recv_i = KDF(2, C, b'')
payload = b'hello wireguard!'  # 16 bytes: no padding
data = struct.pack('<BxxxIQ', 4, idx_r, 0) + AEAD(T_send_i, 0, payload, b'')
for name, v in [('s_i', s_i), ('s_r', s_r), ('e_i', e_i), ('e_r', e_r), ('psk', psk), ('init', init), ('resp', resp), ('t_send_i', T_send_i), ('t_recv_i', T_recv_i), ('data', data)]:
    print(f'constexpr std::string_view k_{name} =\n    "{v.hex()}";')
