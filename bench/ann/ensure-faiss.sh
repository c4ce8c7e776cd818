#!/usr/bin/env bash
# Runs before `npm run bench:ann`: the reference FAISS comes from Debian's
# python3-faiss (faiss-node cannot install offline). Installs it when missing
# and we are root; otherwise says how, and the benchmark runs without FAISS.
if /usr/bin/python3 -c "import faiss" >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing python3-faiss (Debian) for the FAISS reference"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-faiss >/dev/null && exit 0
fi
echo "python3-faiss is not installed: run 'sudo apt-get install -y python3-faiss' for the FAISS rows" >&2
exit 0
