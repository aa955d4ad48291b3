import sys

try:
    from rag.cli import main
except KeyboardInterrupt:  # Ctrl-C while torch and faiss are still being imported
    print("error: Interrupted.", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
