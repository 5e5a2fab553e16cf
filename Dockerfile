# Stage 1: build the React wallet page.
FROM node:20-slim AS web
WORKDIR /web
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci
COPY frontend/ ./
RUN npm run build

# Stage 2 (docker-compose.yml's `nginx`, built with `target: proxy`): nginx serving the built page
# and proxying /api/ to the service (deploy/nginx/nginx.conf).
FROM nginx:1.27-alpine AS proxy
COPY deploy/nginx/nginx.conf /etc/nginx/nginx.conf
COPY --from=web /web/dist /usr/share/nginx/html

# Stage 3, the default: the service under gunicorn: several worker processes against MongoDB.
FROM python:3.11-slim
WORKDIR /app
# The runtime dependencies only: test and lint tools are in requirements-dev.txt, which the image never
# installs (tests/unit/docs_and_deploy/test_packaging.py).
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY backend backend
COPY gunicorn.conf.py .
COPY --from=web /web/dist frontend/dist
ENV HOST=0.0.0.0 PORT=5000
EXPOSE 5000
# Not root: nothing here needs it (logs go to stderr, metrics to /tmp/wallet-metrics, gunicorn's
# control socket to the user's home).
RUN useradd --system --uid 10001 --create-home --home-dir /home/wallet wallet
USER 10001
# gunicorn.conf.py: backend.wsgi:app on HOST:PORT, WEB_WORKERS (4) × WEB_THREADS (8) gthread
# workers, 30 s timeout, and request limits above the app's own (see the file).
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
