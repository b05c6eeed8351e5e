#!/bin/sh
# demo.sh: filled in below
echo "demo: not yet written"
