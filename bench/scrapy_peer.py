"""The Scrapy spider a user would write to do what exposure-audit's crawl
does on the benchmark site: follow links on the host, take every picture
address (src, srcset, data-src and the other lazy attributes) and fetch
each picture once. Prints pages, pictures and seconds.
Usage: python3 scrapy_peer.py START_URL CONCURRENCY"""
import sys
import time

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor

start, concurrency = sys.argv[1], int(sys.argv[2])
stats = {"pages": 0, "pictures": 0}


class Pictures(scrapy.Spider):
    name = "pictures"
    start_urls = [start]
    links = LinkExtractor()

    def parse(self, response):
        stats["pages"] += 1
        urls = set()
        for img in response.css("img"):
            for attr in ("src", "data-src", "data-lazy-src", "data-original"):
                v = img.attrib.get(attr)
                if v:
                    urls.add(v)
            for attr in ("srcset", "data-srcset"):
                for cand in (img.attrib.get(attr) or "").split(","):
                    if cand.strip():
                        urls.add(cand.split()[0])
        for u in urls:
            yield response.follow(u, callback=self.picture)
        host = response.url.split("/")[2]
        for link in self.links.extract_links(response):
            if link.url.split("/")[2] == host:
                yield response.follow(link.url, callback=self.parse)

    def picture(self, response):
        stats["pictures"] += 1


process = CrawlerProcess(settings={
    "CONCURRENT_REQUESTS": concurrency,
    "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
    "DOWNLOAD_DELAY": 0,
    "ROBOTSTXT_OBEY": False,
    "LOG_LEVEL": "ERROR",
    "TELNETCONSOLE_ENABLED": False,
})
t = time.time()
process.crawl(Pictures)
process.start()
print(f"SCRAPY pages={stats['pages']} pictures={stats['pictures']} seconds={time.time() - t:.1f}")
