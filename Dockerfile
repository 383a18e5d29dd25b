# codingkg GraphQL API. Build and run (see README.md, "Deploying"):
#   docker build -t codingkg .
#   docker run --rm -p 8000:8000 codingkg
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CODINGKG_CACHE_DIR=/var/cache/codingkg \
    CODINGKG_HOST=0.0.0.0 \
    CODINGKG_PORT=8000

RUN useradd --create-home --uid 10001 codingkg \
    && mkdir -p /var/cache/codingkg \
    && chown codingkg /var/cache/codingkg

WORKDIR /app
COPY pyproject.toml setup.py README.md LICENSE CHANGELOG.md ./
COPY codingkg ./codingkg
COPY kg ./kg
COPY server ./server
COPY ontology ./ontology
# The `fast` extra: uvicorn on httptools and uvloop (wheels exist for this image's platforms).
# A C compiler for the install only: setup.py compiles the claim engine with mypyc (without
# one it would install as pure Python); it is removed again in the same layer.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install --no-cache-dir .[fast] \
    && apt-get purge -y --auto-remove gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* /app/build

USER codingkg
# Import the embedded CMS baseline and compile the graph snapshot now, so a container starts
# from the snapshot instead of parsing RDF.
RUN codingkg build

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CODINGKG_PORT', '8000'), timeout=4)"]
CMD ["codingkg", "serve"]
