FROM python:3.11-slim-bookworm

# WeasyPrint needs Pango, and HarfBuzz-Subset to embed fonts fast; fonts-dejavu covers Cyrillic.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz0b libharfbuzz-subset0 libffi8 fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md requirements-deploy.lock ./
RUN pip install --no-cache-dir -r requirements-deploy.lock
COPY config ./config
COPY orders ./orders
COPY invoices ./invoices
COPY production ./production
COPY logistics ./logistics
RUN pip install --no-cache-dir --no-deps .
COPY . .
# Compressed copies and content-hashed names with their manifest, which WhiteNoise serves.
RUN SECRET_KEY=build STATIC_MANIFEST=1 python manage.py collectstatic --noinput

RUN useradd --create-home conveyor && mkdir -p /app/media && chown conveyor /app/media
USER conveyor
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
