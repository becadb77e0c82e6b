#!/usr/bin/env python3
# Regenerates roots.json, inclusion.json and consistency.json: an independent implementation of
# the RFC 9162 definitions (MTH, PATH, SUBPROOF) with hashlib. Run once by hand; tests only read
# the JSON files.
import hashlib, json, os
H=lambda b: hashlib.sha256(b).digest()
def leaf(e): return H(b'\x00'+e)
def node(l,r): return H(b'\x01'+l+r)
def k_of(n):
    k=1
    while k*2<n: k*=2
    return k
def mth(D):
    n=len(D)
    if n==0: return H(b'')
    if n==1: return leaf(D[0])
    k=k_of(n); return node(mth(D[:k]),mth(D[k:]))
def path(m,D):
    n=len(D)
    if n==1: return []
    k=k_of(n)
    if m<k: return path(m,D[:k])+[mth(D[k:])]
    return path(m-k,D[k:])+[mth(D[:k])]
def subproof(m,D,b):
    n=len(D)
    if m==n: return [] if b else [mth(D)]
    k=k_of(n)
    if m<=k: return subproof(m,D[:k],b)+[mth(D[k:])]
    return subproof(m-k,D[k:],False)+[mth(D[:k])]
# Leaves from the certificate-transparency reference tests.
leaves=[bytes.fromhex(x) for x in ["","00","10","2021","3031","40414243","5051525354555657","606162636465666768696a6b6c6d6e6f"]]
hx=lambda b:b.hex()
roots={"description":"RFC 9162 MTH of the first n leaves of the certificate-transparency reference leaf list, computed independently with Python hashlib; n = 0 is the empty tree","leaves":[hx(l) for l in leaves],
  "cases":[{"size":n,"root":hx(mth(leaves[:n]))} for n in range(0,9)]}
incl={"description":"RFC 9162 inclusion proofs (PATH) for the same leaves, computed independently with Python hashlib. want_error names the errc a verifier must return; empty means the proof verifies.","leaves":roots["leaves"],"cases":[]}
C=incl["cases"]
for n in range(1,9):
    for m in range(n):
        C.append({"description":f"leaf {m} in tree of {n}","index":m,"size":n,"proof":[hx(p) for p in path(m,leaves[:n])],"root":hx(mth(leaves[:n])),"want_error":""})
p=path(2,leaves[:7]); r=hx(mth(leaves[:7]))
C.append({"description":"trailing garbage: an extra hash after a valid proof","index":2,"size":7,"proof":[hx(x) for x in p]+["00"*32],"root":r,"want_error":"proof_invalid"})
C.append({"description":"truncated: last hash dropped","index":2,"size":7,"proof":[hx(x) for x in p[:-1]],"root":r,"want_error":"proof_invalid"})
C.append({"description":"index equal to size","index":7,"size":7,"proof":[hx(x) for x in p],"root":r,"want_error":"proof_invalid"})
C.append({"description":"wrong index (proof of leaf 2 claimed for leaf 3)","index":3,"size":7,"proof":[hx(x) for x in p],"root":r,"want_error":"root_mismatch"})
C.append({"description":"proof hashes in reverse order","index":2,"size":7,"proof":[hx(x) for x in reversed(p)],"root":r,"want_error":"root_mismatch"})
C.append({"description":"root of a smaller tree","index":2,"size":7,"proof":[hx(x) for x in p],"root":hx(mth(leaves[:6])),"want_error":"root_mismatch"})
C.append({"description":"size zero","index":0,"size":0,"proof":[],"root":hx(H(b'')),"want_error":"proof_invalid"})
cons={"description":"RFC 9162 consistency proofs (SUBPROOF) between the first size1 and size2 leaves, computed independently with Python hashlib. want_error names the errc; empty means the proof verifies.","leaves":roots["leaves"],"cases":[]}
K=cons["cases"]
for n in range(1,9):
    for m in range(0,n+1):
        pr=[] if m==0 else subproof(m,leaves[:n],True)
        K.append({"description":f"{m} to {n}","size1":m,"size2":n,"proof":[hx(x) for x in pr],"root1":hx(mth(leaves[:m])),"root2":hx(mth(leaves[:n])),"want_error":""})
pr=subproof(3,leaves[:7],True); r1=hx(mth(leaves[:3])); r2=hx(mth(leaves[:7]))
K.append({"description":"swapped roots","size1":3,"size2":7,"proof":[hx(x) for x in pr],"root1":r2,"root2":r1,"want_error":"root_mismatch"})
K.append({"description":"size1 greater than size2","size1":7,"size2":3,"proof":[hx(x) for x in pr],"root1":r2,"root2":r1,"want_error":"proof_invalid"})
K.append({"description":"trailing garbage","size1":3,"size2":7,"proof":[hx(x) for x in pr]+["ff"*32],"root1":r1,"root2":r2,"want_error":"proof_invalid"})
K.append({"description":"truncated","size1":3,"size2":7,"proof":[hx(x) for x in pr[:-1]],"root1":r1,"root2":r2,"want_error":"proof_invalid"})
K.append({"description":"empty old tree with a non-empty proof","size1":0,"size2":7,"proof":[hx(x) for x in pr],"root1":hx(H(b'')),"root2":r2,"want_error":"proof_invalid"})
K.append({"description":"equal sizes, different roots","size1":7,"size2":7,"proof":[],"root1":r1,"root2":r2,"want_error":"root_mismatch"})
K.append({"description":"wrong old size (proof for 3 claimed for 4)","size1":4,"size2":7,"proof":[hx(x) for x in pr],"root1":r1,"root2":r2,"want_error":"proof_invalid"})
K.append({"description":"wrong new root (tree of 6)","size1":3,"size2":7,"proof":[hx(x) for x in pr],"root1":r1,"root2":hx(mth(leaves[:6])),"want_error":"root_mismatch"})
for name,obj in [("roots.json",roots),("inclusion.json",incl),("consistency.json",cons)]:
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name),"w") as f: json.dump(obj,f,indent=1); f.write("\n")
