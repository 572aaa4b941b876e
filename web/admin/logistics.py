from django.contrib import admin

from logistics.models import Carrier


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["name", "tracking_url", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
