from django.contrib import admin

from production.models import BillOfMaterialsItem, LineCost, Material, Product, Team
from web.admin.big import BigListAdmin


class BillOfMaterialsInline(admin.TabularInline):
    model = BillOfMaterialsItem
    extra = 1
    autocomplete_fields = ["material"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "unit", "price", "lead_time_days", "team", "is_active"]
    list_filter = ["is_active", "team"]
    search_fields = ["sku", "name"]
    inlines = [BillOfMaterialsInline]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "unit_cost"]
    search_fields = ["name"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["members"]


@admin.register(LineCost)
class LineCostAdmin(BigListAdmin):
    list_display = [
        "line",
        "materials_cost",
        "labour_minutes",
        "total",
        "recorded_by",
        "recorded_at",
    ]
    list_select_related = ["line__order", "recorded_by"]
    search_fields = ["line__order__number", "line__sku"]
    raw_id_fields = ["line"]
