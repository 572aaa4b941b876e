from django.contrib import admin

from production.models import BillOfMaterialsItem, Material, Product


class BillOfMaterialsInline(admin.TabularInline):
    model = BillOfMaterialsItem
    extra = 1
    autocomplete_fields = ["material"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "unit", "price", "lead_time_days", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["sku", "name"]
    inlines = [BillOfMaterialsInline]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "unit_cost"]
    search_fields = ["name"]
